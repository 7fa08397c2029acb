using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using TfFakeQuant.Kernels;
using TfFakeQuant.Kernels.Fast;

namespace TfFakeQuant.Benchmarks;

/// <summary>
/// <c>--jit-check</c>: runs every driver in a child process of this program with the JIT's
/// listings of the drivers (<c>DOTNET_JitDisasm=TfFakeQuant.Kernels.Fast.Driver`2:*</c>) written to a
/// file, then fails if an optimized listing calls a lane operation (a member of a <c>Simd*</c>
/// struct or a <c>System.Runtime.Intrinsics</c> helper) or a driver helper marked
/// <c>AggressiveInlining</c>. That is what a driver loop looks like when the JIT's inlining budget
/// runs out: its lane operations become calls with vectors passed through memory, results stay
/// bitwise the same and the loop runs several times slower (it happened to the forward pattern
/// loop, and to the rounds loop while it was written). Only the active width is meaningful
/// (forced wider widths run in software, which calls); 128 bits is checked as well where the
/// machine is wider. Exit code 0 when clean.
/// </summary>
public static partial class JitCheck
{
    private const string ChildFlag = "--child";

    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Contains(ChildFlag))
        {
            Workload();
            return 0;
        }

        string file = Path.Combine(Path.GetTempPath(), $"tffq-jit-{Environment.ProcessId}.txt");
        File.Delete(file);
        string self = typeof(JitCheck).Assembly.Location;
        string host = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(host) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(self);
        }

        start.ArgumentList.Add("--jit-check");
        start.ArgumentList.Add(ChildFlag);
        start.Environment["DOTNET_JitDisasm"] = "TfFakeQuant.Kernels.Fast.Driver`2:*";
        start.Environment["DOTNET_JitStdOutFile"] = file;
        using (Process child = Process.Start(start) ?? throw new InvalidOperationException("could not start the workload process"))
        {
            child.WaitForExit();
            if (child.ExitCode != 0)
            {
                Console.WriteLine($"jit check: the workload process failed with exit code {child.ExitCode}");
                return 1;
            }
        }

        if (!File.Exists(file))
        {
            Console.WriteLine($"jit check: the JIT wrote no listings to {file} (DOTNET_JitDisasm / DOTNET_JitStdOutFile unsupported?)");
            return 1;
        }

        (int listings, int calls, List<string> violations) = Inspect(File.ReadAllText(file), InlinedHelpers());
        File.Delete(file);
        foreach (string violation in violations)
        {
            Console.WriteLine(violation);
        }

        Console.WriteLine($"jit check: {listings} optimized driver listings, {calls} calls in them, {violations.Count} lane operations or inlined helpers left as calls");
        return listings > 0 && violations.Count == 0 ? 0 : 1;
    }

    /// <summary>Names of the driver methods that are all <c>AggressiveInlining</c> (a call to one of them is the JIT giving up).</summary>
    private static HashSet<string> InlinedHelpers()
    {
        MethodInfo[] methods = typeof(Driver<SimdScalar, float>).GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
        return methods.GroupBy(m => m.Name)
            .Where(g => g.All(m => (m.MethodImplementationFlags & MethodImplAttributes.AggressiveInlining) != 0))
            .Select(g => g.Key)
            .ToHashSet();
    }

    /// <summary>Splits the JIT output into listings and checks the call targets of the optimized ones.</summary>
    internal static (int Listings, int Calls, List<string> Violations) Inspect(string output, HashSet<string> inlined)
    {
        int listings = 0, calls = 0;
        var violations = new List<string>();
        foreach (string listing in output.Split("; Assembly listing for method ").Skip(1))
        {
            string header = listing[..listing.IndexOf('\n', StringComparison.Ordinal)].Trim();
            bool optimized = header.EndsWith("(FullOpts)", StringComparison.Ordinal) || header.Contains("(Tier1", StringComparison.Ordinal);
            if (!optimized)
            {
                continue;
            }

            listings++;
            foreach (Match call in CallTarget().Matches(listing))
            {
                calls++;
                string target = call.Groups[1].Value;
                Match driver = DriverMethod().Match(target);
                if (target.StartsWith("TfFakeQuant.Kernels.Fast.Simd", StringComparison.Ordinal)
                    || target.StartsWith("System.Runtime.Intrinsics.", StringComparison.Ordinal)
                    || (driver.Success && inlined.Contains(driver.Groups[1].Value)))
                {
                    violations.Add($"in {header}:\n    call {target}");
                }
            }
        }

        return (listings, calls, violations);
    }

    [GeneratedRegex(@"^\s+call\s+\[(.+)\]\s*$", RegexOptions.Multiline)]
    private static partial Regex CallTarget();

    [GeneratedRegex(@"^TfFakeQuant\.Kernels\.Fast\.Driver`2\[.*?\]\]:(\w+)")]
    private static partial Regex DriverMethod();

    /// <summary>Every driver: each op on shapes that reach each dispatch, one and two threads, in place, streamed.</summary>
    private static void Workload()
    {
        int[] widths = FastPath.WidthBits > 128 ? [FastPath.WidthBits, 128] : [FastPath.WidthBits];
        foreach (int width in widths)
        {
            FastPath.WidthBits = width;
            foreach (long streamFrom in new[] { FastPath.StreamThreshold, 0L })
            {
                FastPath.StreamThreshold = streamFrom;
                foreach (int threads in new[] { 1, 2 })
                {
                    FakeQuant.MaxDegreeOfParallelism = threads;
                    foreach (int d in new[] { 1, 2, 3, 5, 7, 8, 16, 17, 64, 1000, 1500 })
                    {
                        RunShape(Math.Max(1, (1 << 18) / d) + 3, d);
                    }

                    RunAxis();
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RunShape(int rows, int d)
    {
        int n = rows * d;
        var rng = new Random(n);
        float[] g = new float[n], x = new float[n], y = new float[n];
        for (int i = 0; i < n; i++)
        {
            g[i] = (float)((rng.NextDouble() * 2) - 1);
            x[i] = (float)((rng.NextDouble() * 2.4) - 1.2);
        }

        g[n / 2] = 1e-39f; // one exact step
        float[] min = Enumerable.Repeat(-1f, d).ToArray(), max = Enumerable.Repeat(1f, d).ToArray(), sMin = new float[d], sMax = new float[d];
        for (int rep = 0; rep < 2; rep++)
        {
            FakeQuant.PerChannelGradient(g, x, min, max, 8, false, y, sMin, sMax);
            FakeQuant.PerChannel(x, min, max, 8, false, y);
            FakeQuant.PerChannelGradient(g, x, min, max, 8, false, g.AsSpan(), sMin, sMax); // in place
            min[0] = max[0] = 0f; // a zero range
            FakeQuant.PerChannelGradient(g, x, min, max, 8, false, y, sMin, sMax);
            FakeQuant.PerChannel(x, min, max, 8, false, y);
            min[0] = -1f;
            max[0] = 1f;
        }

        if (d == 1)
        {
            FakeQuant.VarsGradient(g, x, -1f, 1f, 8, false, y, out _, out _);
            FakeQuant.Vars(x, -1f, 1f, 8, false, y);
            FakeQuant.Args(x, -1f, 1f, 8, false, y);
            FakeQuant.ArgsGradient(g, x, -1f, 1f, 8, false, y);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RunAxis()
    {
        long[] shape = [8, 16, 2100];
        int n = 8 * 16 * 2100;
        float[] g = new float[n], x = new float[n], y = new float[n];
        for (int i = 0; i < n; i++)
        {
            g[i] = (i % 7) - 3;
            x[i] = ((i % 11) - 5) * 0.25f;
        }

        float[] min = Enumerable.Repeat(-1f, 16).ToArray(), max = Enumerable.Repeat(1f, 16).ToArray(), sMin = new float[16], sMax = new float[16];
        FakeQuant.PerChannelGradient(g, x, shape, 1, min, max, 8, false, y, sMin, sMax);
        FakeQuant.PerChannel(x, shape, 1, min, max, 8, false, y);
    }
}
