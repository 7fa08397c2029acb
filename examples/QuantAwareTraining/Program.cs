using System.Globalization;
using QuantAwareTraining;
using ScottPlot;
using Spectre.Console;
using Color = ScottPlot.Color;

// Quantization-aware range learning with TensorFlow-exact FakeQuantWithMinMaxVarsPerChannel:
// a dense layer y = x·W learns a teacher; W is fake-quantized per output channel at 4 and 8 bits
// with learnable per-channel min/max, trained with the exact gradients through the eager tape.
// Options: --bits 4,8  --epochs 30  --seed 42  --out out/qat-training.png (relative to the working directory)

if (!Cli.TryParse(args, out Cli? cli, out string? error))
{
    if (error is null)
    {
        Console.WriteLine(Cli.Usage); // --help
        return 0;
    }

    Console.Error.WriteLine(error);
    Console.Error.WriteLine(Cli.Usage);
    return 2;
}

var options = new ExperimentOptions(cli.Bits, cli.Epochs, cli.Seed);
bool interactive = AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;
if (!interactive)
{
    AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 132);
}

AnsiConsole.MarkupLine(
    $"[bold]Quantization-aware training[/] of y = x·W ({RegressionTask.DefaultInputs}→{RegressionTask.DefaultChannels}, a teacher with per-channel scales and outliers): " +
    $"bits {string.Join(", ", cli.Bits)}, {cli.Epochs} epochs, seed {cli.Seed}");

ExperimentResult result;
if (interactive)
{
    result = AnsiConsole.Progress()
        .AutoClear(false)
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
        .Start(ctx =>
        {
            var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal)
            {
                ["float"] = ctx.AddTask("float baseline", maxValue: cli.Epochs),
            };
            foreach (int bits in cli.Bits)
            {
                tasks[$"{bits}-bit"] = ctx.AddTask($"QAT {bits}-bit", maxValue: cli.Epochs);
            }

            return Experiment.Run(options, (phase, epoch) => tasks[phase].Value = epoch);
        });
}
else
{
    // Redirected output (CI, a pipe): no live bar, one line per finished phase.
    result = Experiment.Run(options, (phase, epoch) =>
    {
        if (epoch == cli.Epochs)
        {
            Console.WriteLine($"{phase}: {epoch} epochs done");
        }
    });
}

Report.Print(result);
string written;
try
{
    written = Report.Plot(result, cli.Out);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
{
    Console.Error.WriteLine($"Could not write the plot to '{cli.Out}': {e.Message}");
    return 1;
}

AnsiConsole.MarkupLine($"Plot of loss and ranges over training: [link]{Markup.Escape(written)}[/]");
return 0;

/// <summary>The command line: --bits, --epochs, --seed, --out.</summary>
internal sealed record Cli(int[] Bits, int Epochs, int Seed, string Out)
{
    public const string Usage =
        "usage: QuantAwareTraining [--bits 4,8] [--epochs 30] [--seed 42] [--out out/qat-training.png]\n" +
        "  --bits    comma-separated bit widths, each 2..16 (one QAT run each)\n" +
        "  --epochs  passes over the training set, 1..1000\n" +
        "  --seed    seed of the task, initial weights and batch order (runs are deterministic)\n" +
        "  --out     path of the PNG plot (directories are created)";

    public static bool TryParse(string[] args, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Cli? cli, out string? error)
    {
        int[] bits = [4, 8];
        int epochs = 30, seed = 42;
        string output = Path.Combine("out", "qat-training.png");
        cli = null;
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help")
            {
                return false;
            }

            if (i + 1 >= args.Length)
            {
                error = $"{name} needs a value.";
                return false;
            }

            string value = args[++i];
            switch (name)
            {
                case "--bits":
                    string[] parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    var parsed = new List<int>();
                    foreach (string p in parts)
                    {
                        if (!int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int b) || b is < 2 or > 16)
                        {
                            error = $"--bits: '{p}' is not a bit width in 2..16.";
                            return false;
                        }

                        if (!parsed.Contains(b))
                        {
                            parsed.Add(b);
                        }
                    }

                    if (parsed.Count == 0)
                    {
                        error = "--bits: no bit width given.";
                        return false;
                    }

                    bits = [.. parsed];
                    break;
                case "--epochs":
                    if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out epochs) || epochs is < 1 or > 1000)
                    {
                        error = $"--epochs: '{value}' is not in 1..1000.";
                        return false;
                    }

                    break;
                case "--seed":
                    if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out seed))
                    {
                        error = $"--seed: '{value}' is not an integer.";
                        return false;
                    }

                    break;
                case "--out":
                    output = value;
                    break;
                default:
                    error = $"Unknown option '{name}'.";
                    return false;
            }
        }

        cli = new Cli(bits, epochs, seed, output);
        return true;
    }
}

/// <summary>The summary table and the plot.</summary>
internal static class Report
{
    private static string F(float v, string format = "0.0000") => v.ToString(format, CultureInfo.InvariantCulture);

    private static string Mse(float v) => v.ToString("0.000e+00", CultureInfo.InvariantCulture);

    public static void Print(ExperimentResult r)
    {
        RegressionTask task = r.Task;
        var loss = new Table().Title("[bold]Task loss[/] (test MSE; noise floor ≈ 1e-4)").Border(TableBorder.Rounded)
            .AddColumn("model").AddColumn(new TableColumn("before QAT").RightAligned()).AddColumn(new TableColumn("after QAT").RightAligned());
        loss.AddRow("float baseline", "", Mse(r.FloatLoss));
        foreach (BitsResult b in r.Quantized.OrderByDescending(b => b.Bits))
        {
            loss.AddRow($"{b.Bits}-bit per-channel weights", Mse(b.LossBefore), $"[bold]{Mse(b.LossAfter)}[/]");
        }

        AnsiConsole.Write(loss);

        // The float weights' own per-channel extremes, for comparison with the learned ranges.
        var floatLo = new float[task.Channels];
        var floatHi = new float[task.Channels];
        for (int c = 0; c < task.Channels; c++)
        {
            floatLo[c] = float.MaxValue;
            floatHi[c] = float.MinValue;
            for (int i = 0; i < task.Inputs; i++)
            {
                float w = r.FloatWeights[(i * task.Channels) + c];
                floatLo[c] = MathF.Min(floatLo[c], w);
                floatHi[c] = MathF.Max(floatHi[c], w);
            }
        }

        foreach (BitsResult b in r.Quantized.OrderByDescending(b => b.Bits))
        {
            var ranges = new Table()
                .Title($"[bold]{b.Bits}-bit[/]: per-channel ranges and quantization error (RMS of Wq − W), before → after QAT")
                .Border(TableBorder.Rounded)
                .AddColumn("ch")
                .AddColumn("float W [[min, max]]")
                .AddColumn("range before")
                .AddColumn("[bold]learned range[/]")
                .AddColumn(new TableColumn("error before").RightAligned())
                .AddColumn(new TableColumn("error after").RightAligned());
            for (int c = 0; c < task.Channels; c++)
            {
                ranges.AddRow(
                    Markup.Escape(c.ToString(CultureInfo.InvariantCulture)),
                    Markup.Escape(Pair(floatLo[c], floatHi[c])),
                    Markup.Escape(Pair(b.MinBefore[c], b.MaxBefore[c])),
                    Markup.Escape(Pair(b.MinAfter[c], b.MaxAfter[c])),
                    F(b.ErrorBefore[c]),
                    F(b.ErrorAfter[c]));
            }

            AnsiConsole.Write(ranges);
        }
    }

    private static string Pair(float lo, float hi) => $"[{F(lo, "0.000")}, {F(hi, "0.000")}]";

    /// <summary>Writes the PNG: test loss over epochs (log scale) and, per bit width, every channel's min and max over epochs.</summary>
    public static string Plot(ExperimentResult r, string path)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        var multiplot = new Multiplot();
        multiplot.AddPlots(1 + r.Quantized.Count);
        var palette = new ScottPlot.Palettes.Category10();

        Plot lossPlot = multiplot.GetPlot(0);
        AddLine(lossPlot, r.FloatHistory, "float", palette.GetColor(0), LinePattern.Solid, log: true);
        int k = 1;
        foreach (BitsResult b in r.Quantized.OrderByDescending(b => b.Bits))
        {
            AddLine(lossPlot, b.LossHistory, $"QAT {b.Bits}-bit", palette.GetColor(k++), LinePattern.Solid, log: true);
        }

        lossPlot.Title("Test loss during training");
        lossPlot.XLabel("epoch");
        lossPlot.YLabel("log10(test MSE)");
        lossPlot.ShowLegend(Alignment.UpperRight);

        int p = 1;
        foreach (BitsResult b in r.Quantized.OrderByDescending(b => b.Bits))
        {
            Plot plot = multiplot.GetPlot(p++);
            for (int c = 0; c < r.Task.Channels; c++)
            {
                Color color = palette.GetColor(c);
                AddLine(plot, b.MaxHistory.Select(v => v[c]).ToList(), $"ch {c}", color, LinePattern.Solid, log: false);
                AddLine(plot, b.MinHistory.Select(v => v[c]).ToList(), null, color, LinePattern.Dashed, log: false);
            }

            plot.Title($"{b.Bits}-bit: learned per-channel ranges (solid max, dashed min)");
            plot.XLabel("epoch");
            plot.YLabel("range bound");
            plot.ShowLegend(Edge.Right);
        }

        multiplot.SavePng(full, 1000, 420 * (1 + r.Quantized.Count));
        return full;
    }

    private static void AddLine(Plot plot, List<float> values, string? label, Color color, LinePattern pattern, bool log)
    {
        double[] xs = [.. Enumerable.Range(0, values.Count).Select(i => (double)i)];
        double[] ys = [.. values.Select(v => log ? Math.Log10(Math.Max(v, 1e-12)) : v)];
        var line = plot.Add.ScatterLine(xs, ys, color);
        line.LineWidth = 2;
        line.LinePattern = pattern;
        if (label is not null)
        {
            line.LegendText = label;
        }
    }
}
