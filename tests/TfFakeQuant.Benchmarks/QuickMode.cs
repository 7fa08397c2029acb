using System.Diagnostics;
using System.Text;
using TfFakeQuant.Kernels;

namespace TfFakeQuant.Benchmarks;

/// <summary>
/// <c>--quick</c>: for every shape, times the per-channel gradient and forward against the
/// yardstick in the same process, interleaved (ours, yardstick, ours, …), best of several
/// rounds, on 1 and 2 threads (the yardstick on 2 threads multiplies two halves in parallel).
/// Prints one line per shape/op/threads with the ratio <c>our throughput / yardstick
/// throughput</c> (= yardstick time / our time), the 2-vs-1-thread speedup, then one JSON line.
/// </summary>
public static class QuickMode
{
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var total = Stopwatch.StartNew();
        Console.WriteLine(FormattableString.Invariant($"SIMD width {FakeQuant.ActiveVectorWidthBits} bits, {Environment.ProcessorCount} processors, {Environment.Version}"));
        var json = new StringBuilder("{\"rows\":[");
        bool first = true;
        int threshold = Array.IndexOf(args, "--stream-threshold");
        if (threshold >= 0)
        {
            // Tuning aid: move the streaming-store crossover (FastPath.StreamThreshold) for this run.
            TfFakeQuant.Kernels.Fast.FastPath.StreamThreshold = long.Parse(args[threshold + 1], System.Globalization.CultureInfo.InvariantCulture);
        }

        int only = Array.IndexOf(args, "--shape");
        string[] shapes = only >= 0 ? ArgumentsFrom(args, only + 1) : Shapes.All;
        WarmUp();
        int sweep = Array.IndexOf(args, "--sweep");
        if (sweep >= 0)
        {
            return Sweep(args[sweep + 1], ArgumentsFrom(args, sweep + 2).Select(long.Parse).ToArray(), shapes);
        }

        foreach (string shape in shapes)
        {
            var data = new Shapes.Data(shape);

            // The previous shapes' arrays (up to ~200 MB each) are garbage now: collect them before
            // timing, or a background collection shares the cores and the memory bus with the runs.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            long n = data.X.Length;
            int rounds = n >= 1 << 22 ? 7 : n >= 1 << 18 ? 15 : 25;
            int reps = (int)Math.Max(1, (1 << 22) / n); // calls per timing sample for small shapes
            double oneThreadGrad = 0, oneThreadFwd = 0;
            foreach (int threads in new[] { 1, 2 })
            {
                FakeQuant.MaxDegreeOfParallelism = threads;
                Action yard = threads == 1 ? data.Yardstick : data.Yardstick2;
                foreach ((string op, Action ours) in new (string, Action)[] { ("grad", data.Gradient), ("fwd", data.Forward) })
                {
                    double bestOurs = double.MaxValue, bestYard = double.MaxValue;
                    ours();
                    yard();
                    for (int r = 0; r < rounds; r++)
                    {
                        bestOurs = Math.Min(bestOurs, Time(ours, reps));
                        bestYard = Math.Min(bestYard, Time(yard, reps));
                    }

                    double ratio = bestYard / bestOurs;
                    string speedup = "";
                    if (threads == 1)
                    {
                        if (op == "grad")
                        {
                            oneThreadGrad = bestOurs;
                        }
                        else
                        {
                            oneThreadFwd = bestOurs;
                        }
                    }
                    else
                    {
                        speedup = FormattableString.Invariant($"  2T/1T {(op == "grad" ? oneThreadGrad : oneThreadFwd) / bestOurs:F2}x");
                    }

                    Console.WriteLine(FormattableString.Invariant(
                        $"{shape,-12} {op,-4} threads={threads}  ours {bestOurs * 1e6,10:F1} us  yardstick {bestYard * 1e6,10:F1} us  ({n * 12 / bestYard / 1e9,5:F1} GB/s)  ratio {ratio:F2}{speedup}"));
                    json.Append(first ? "" : ",").Append(FormattableString.Invariant(
                        $"{{\"shape\":\"{shape}\",\"op\":\"{op}\",\"threads\":{threads},\"ratio\":{ratio:F2}}}"));
                    first = false;
                }
            }
        }

        FakeQuant.MaxDegreeOfParallelism = Environment.ProcessorCount;
        json.Append("]}");
        Console.WriteLine(FormattableString.Invariant($"total {total.Elapsed.TotalSeconds:F1} s"));
        Console.WriteLine(json.ToString());
        return 0;
    }

    /// <summary>The arguments from <paramref name="index"/> up to the next option (<c>--…</c>).</summary>
    private static string[] ArgumentsFrom(string[] args, int index) =>
        args[index..].TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();

    /// <summary>
    /// <c>--sweep SETTING V1 V2 …</c>: the one-thread gradient of each shape with a tuning setting
    /// (<c>stream-threshold</c>) at each value, the values interleaved round by round in one
    /// process (best of 40 rounds each), so that a neighbour's burst hits all of them alike; on
    /// this shared machine, runs of two builds in turn rarely resolve 10 % on cached shapes.
    /// Memory-bound results still need alternating processes as a check: interleaved, two
    /// prefetch settings once measured alike where alternating builds showed a steady 0.1 of the
    /// yardstick between them. Prints one line per shape: time and ratio per value.
    /// </summary>
    private static int Sweep(string setting, long[] values, string[] shapes)
    {
        Action<long> set = setting switch
        {
            "stream-threshold" => v => TfFakeQuant.Kernels.Fast.FastPath.StreamThreshold = v,
            _ => throw new ArgumentException($"Unknown setting '{setting}' (stream-threshold).", nameof(setting)),
        };
        long streamDefault = TfFakeQuant.Kernels.Fast.FastPath.StreamThreshold;
        FakeQuant.MaxDegreeOfParallelism = 1;
        foreach (string shape in shapes)
        {
            var data = new Shapes.Data(shape);
            GC.Collect();
            int reps = (int)Math.Max(1, (1 << 22) / data.X.Length);
            var best = new double[values.Length];
            Array.Fill(best, double.MaxValue);
            double yard = double.MaxValue;
            for (int r = 0; r < 40; r++)
            {
                for (int v = 0; v < values.Length; v++)
                {
                    set(values[v]);
                    data.Gradient();
                    best[v] = Math.Min(best[v], Time(data.Gradient, reps));
                }

                yard = Math.Min(yard, Time(data.Yardstick, reps));
            }

            Console.WriteLine(FormattableString.Invariant($"{shape,-12} grad {setting}:") + string.Concat(values.Select((v, i) =>
                FormattableString.Invariant($"  {v} → {best[i] * 1e6:F1} us ({yard / best[i]:F2})"))));
        }

        TfFakeQuant.Kernels.Fast.FastPath.StreamThreshold = streamDefault;
        FakeQuant.MaxDegreeOfParallelism = Environment.ProcessorCount;
        return 0;
    }

    /// <summary>
    /// Runs the yardstick and our entry points on a 1M-element shape, on one thread and on two,
    /// three times 300 ms with 100 ms idle after each, before anything is timed. The yardstick
    /// (<c>TensorPrimitives.Multiply</c>) starts in tier-0 code and reaches its optimized code only
    /// after enough calls and the runtime's background compiles; without this, the first shapes of a run (and every shape of a short
    /// <c>--shape</c> run) were timed against a slower yardstick: a 1024×1000 gradient measured
    /// 0.94–1.00 of it alone and 0.47–0.55 in a full run, where earlier shapes had warmed it, with
    /// the same time of ours (eleventh session; 0.65–0.67 alone with tiered compilation off).
    /// </summary>
    private static void WarmUp()
    {
        var data = new Shapes.Data("1024x1024");
        for (int pass = 0; pass < 3; pass++)
        {
            foreach (int threads in new[] { 1, 2 })
            {
                FakeQuant.MaxDegreeOfParallelism = threads;
                long until = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 150 / 1000);
                while (Stopwatch.GetTimestamp() < until)
                {
                    data.Yardstick();
                    data.Yardstick2();
                    data.Gradient();
                    data.Forward();
                }
            }

            // Idle time for the background compiler to install the next tier.
            Thread.Sleep(100);
        }

        FakeQuant.MaxDegreeOfParallelism = Environment.ProcessorCount;
    }

    private static double Time(Action action, int reps)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < reps; i++)
        {
            action();
        }

        return Stopwatch.GetElapsedTime(start).TotalSeconds / reps;
    }
}
