using System.Diagnostics;
using System.Globalization;
using System.IO.MemoryMappedFiles;

namespace TfFakeQuant.Fuzz;

/// <summary>
/// The fuzz command:
/// <c>dotnet run -c Release --project tests/TfFakeQuant.Fuzz -- --iterations N --seed S</c>.
/// Drives the public API with random and mutated calls (see the targets) and prints the count of
/// each exception type, the distinct error texts, and as its last line <c>N calls, N crashes</c>.
/// A crash is an exception outside the documented set of the API called, a wrong result, a
/// write outside the outputs, a hang, or a process fault; the exit code is 1 when there is any.
/// </summary>
/// <remarks>
/// The run is supervised: a worker process does the calls while the supervisor watches; if the
/// worker dies (access violation, stack overflow, abort) or hangs, the supervisor records a crash
/// at the iteration the worker was in (read from a shared progress file) and starts a new worker
/// after it. Iteration <c>i</c> is seeded from <c>(S, i)</c> alone, so
/// <c>--seed S --start i --iterations 1</c> replays it (add <c>--in-process</c> to debug).
/// </remarks>
internal static class Program
{
    private static (string Name, int Weight, Action<FuzzContext> Run)[] Targets =
    [
        ("op", 25, OpTargets.Execute),
        ("span", 20, SpanTargets.Kernels),
        ("graph", 15, GraphTargets.BuildAndRun),
        ("eager", 10, EagerTargets.Execute),
        ("shape-functions", 10, OpTargets.ShapeFunctions),
        ("attrs", 6, OpTargets.Attrs),
        ("shapes", 6, OpTargets.ShapesAndSizes),
        ("numsharp", 3, MoreTargets.NumSharp),
        ("gradient-registry", 2, MoreTargets.GradientRegistry),
        ("gradient-function", 3, MoreTargets.GradientFunction),
        ("reference", 2, LowLevelTargets.Reference),
        ("axis", 6, AxisTargets.PerChannel),
    ];

    private const int HangSeconds = 20;

    public static int Main(string[] args)
    {
        long iterations = 10_000, seed = 1, start = 0, injectFault = -1;
        bool inProcess = false, worker = false;
        string? only = null;
        string? progressPath = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--iterations": iterations = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seed": seed = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--start": start = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--in-process": inProcess = true; break;
                case "--target": only = args[++i]; break;
                case "--inject-fault": injectFault = long.Parse(args[++i], CultureInfo.InvariantCulture); break; // checks the supervisor
                case "--worker": worker = true; progressPath = args[++i]; break;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}; usage: --iterations N --seed S [--start I] [--in-process]");
                    return 2;
            }
        }

        if (only is not null)
        {
            int keep = Array.FindIndex(Targets, t => t.Name == only);
            if (keep < 0)
            {
                Console.Error.WriteLine($"unknown target {only}; targets: {string.Join(", ", Targets.Select(t => t.Name))}");
                return 2;
            }

            Targets = [Targets[keep] with { Weight = 100 }];
        }

        if (worker)
        {
            return Work(seed, start, start + iterations, progressPath!, injectFault);
        }

        var sw = Stopwatch.StartNew();
        Tally total = inProcess ? RunInProcess(seed, start, start + iterations) : Supervise(seed, start, start + iterations, injectFault);
        Console.WriteLine($"seed {seed}, iterations {start}..{start + iterations - 1}, {sw.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"targets (weight): {string.Join(", ", Targets.Select(t => $"{t.Name} {t.Weight}"))}");
        total.Print(Console.Out);
        Console.WriteLine($"{total.Calls} calls, {total.CrashCount} crashes");
        return total.CrashCount > 0 || total.Calls == 0 ? 1 : 0;
    }

    private static void RunOne(FuzzContext f, long seed, long i)
    {
        f.Begin(seed, i);
        int r = f.Rng.Next(Targets.Sum(t => t.Weight));
        foreach (var t in Targets)
        {
            if ((r -= t.Weight) < 0)
            {
                try
                {
                    t.Run(f);
                }
                catch (Exception ex)
                {
                    // An exception escaping a target is a fuzzer-side failure around a call; count it.
                    f.Tally.Throw(ex);
                    f.Tally.Crash(i, t.Name, "exception outside any call", ex);
                }

                return;
            }
        }
    }

    private static Tally RunInProcess(long seed, long from, long to)
    {
        var f = new FuzzContext(new Tally());
        for (long i = from; i < to; i++)
        {
            RunOne(f, seed, i);
        }

        return f.Tally;
    }

    /// <summary>Worker: runs iterations, publishing the current one in the progress file, then writes its tally.</summary>
    private static int Work(long seed, long from, long to, string progressPath, long injectFault)
    {
        using var mmf = MemoryMappedFile.CreateFromFile(progressPath, FileMode.Open, null, 8);
        using MemoryMappedViewAccessor progress = mmf.CreateViewAccessor(0, 8);
        var f = new FuzzContext(new Tally());
        for (long i = from; i < to; i++)
        {
            progress.Write(0, i);
            if (i == injectFault)
            {
                Environment.FailFast("injected fault (--inject-fault)");
            }

            RunOne(f, seed, i);
        }

        progress.Write(0, to);
        f.Tally.WriteTo(Console.Out);
        Console.Out.Flush();
        return 0;
    }

    /// <summary>Supervisor: runs workers until every iteration is done, restarting after a fault or hang.</summary>
    private static Tally Supervise(long seed, long from, long to, long injectFault)
    {
        var total = new Tally();
        string progressPath = Path.Combine(Path.GetTempPath(), $"tffq-fuzz-{Environment.ProcessId}-{Guid.NewGuid():N}.progress");
        try
        {
            long next = from;
            while (next < to)
            {
                File.WriteAllBytes(progressPath, BitConverter.GetBytes(next));
                var psi = new ProcessStartInfo(Environment.ProcessPath!)
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                string self = typeof(Program).Assembly.Location;
                if (Path.GetFileName(Environment.ProcessPath!) is "dotnet" or "dotnet.exe")
                {
                    psi.ArgumentList.Add(self); // running under `dotnet`: pass the dll
                }

                foreach (string a in new[] { "--worker", progressPath, "--seed", seed.ToString(CultureInfo.InvariantCulture),
                    "--start", next.ToString(CultureInfo.InvariantCulture), "--iterations", (to - next).ToString(CultureInfo.InvariantCulture),
                    "--inject-fault", injectFault.ToString(CultureInfo.InvariantCulture) }
                    .Concat(Targets.Length == 1 ? ["--target", Targets[0].Name] : Array.Empty<string>()))
                {
                    psi.ArgumentList.Add(a);
                }

                using var p = Process.Start(psi)!;
                var stderr = p.StandardError.ReadToEndAsync();
                var lines = new List<string>();
                var reader = Task.Run(() =>
                {
                    string? line;
                    while ((line = p.StandardOutput.ReadLine()) is not null)
                    {
                        lines.Add(line);
                    }
                });

                // Watch progress: a worker stuck on one iteration for HangSeconds is a hang.
                long last = -1;
                var stuckSince = Stopwatch.StartNew();
                bool hung = false;
                while (!p.WaitForExit(500))
                {
                    long now = ReadProgress(progressPath);
                    if (now != last)
                    {
                        last = now;
                        stuckSince.Restart();
                    }
                    else if (stuckSince.Elapsed.TotalSeconds > HangSeconds)
                    {
                        hung = true;
                        p.Kill(entireProcessTree: true);
                        p.WaitForExit();
                        break;
                    }
                }

                reader.Wait();
                var tally = new Tally();
                bool complete = false;
                foreach (string line in lines)
                {
                    if (line == "@end")
                    {
                        complete = true;
                    }
                    else if (!tally.Read(line))
                    {
                        Console.WriteLine(line);
                    }
                }

                if (complete && !hung && p.ExitCode == 0)
                {
                    Merge(total, tally);
                    next = to;
                    continue;
                }

                // The worker died or hung in iteration `at`: one crash; its earlier calls are lost, so
                // rerun the iterations before `at` and continue after it.
                long at = ReadProgress(progressPath);
                string why = hung ? $"hang (no progress for {HangSeconds} s)" : $"process fault (exit code {p.ExitCode})";
                total.Crash(at, "process", why + ": " + Tail(stderr.Result), null);
                total.Calls++;
                Console.WriteLine($"worker {why} at iteration {at}; replay: --seed {seed} --start {at} --iterations 1 --in-process");
                if (at > next)
                {
                    Merge(total, Supervise(seed, next, at, injectFault));
                }

                next = at + 1;
            }
        }
        finally
        {
            File.Delete(progressPath);
        }

        return total;
    }

    private static long ReadProgress(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        Span<byte> b = stackalloc byte[8];
        fs.ReadExactly(b);
        return BitConverter.ToInt64(b);
    }

    private static string Tail(string s) => s.Length <= 2000 ? s : s[^2000..];

    private static void Merge(Tally into, Tally from)
    {
        var sw = new StringWriter();
        from.WriteTo(sw);
        foreach (string line in sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            into.Read(line.TrimEnd('\r'));
        }
    }
}
