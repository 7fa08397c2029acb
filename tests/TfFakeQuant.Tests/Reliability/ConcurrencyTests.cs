using System.Collections.Concurrent;
using TfFakeQuant.Kernels;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Tests.Reliability;

/// <summary>
/// Reentrancy and thread safety: many threads calling the same kernels on different data get
/// the bits a single thread gets; concurrent registration in the shared gradient registry is
/// atomic (one winner per conflicting name, idempotent re-registration, consistent look-ups).
/// Every stress test has a fixed amount of work and a bounded wait, so a deadlock fails the test
/// instead of hanging CI.
/// </summary>
public class ConcurrencyTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static int Threads => Math.Max(4, Environment.ProcessorCount * 2);

    /// <summary>Runs <paramref name="body"/> on <see cref="Threads"/> threads released together; fails on timeout.</summary>
    internal static void RunTogether(int threads, Action<int> body)
    {
        using var start = new Barrier(threads);
        var errors = new ConcurrentQueue<Exception>();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait(Bound);
                body(t);
            }
            catch (Exception ex)
            {
                errors.Enqueue(ex);
            }
        }) { IsBackground = true }).ToArray();
        foreach (Thread w in workers)
        {
            w.Start();
        }

        foreach (Thread w in workers)
        {
            Assert.That(w.Join(Bound), Is.True, "a worker thread did not finish in time (deadlock or livelock?)");
        }

        Assert.That(errors, Is.Empty, string.Join("\n---\n", errors.Select(e => e.ToString())));
    }

    private sealed record Case(Generators.OpCall Call, FloatTensor[] Expected);

    private static Case[] MakeCases(int count, uint stream)
    {
        var cases = new List<Case>();
        for (ulong i = 0; cases.Count < count; i++)
        {
            Generators.OpCall call = Generators.OpCallGen.Generate(new CsCheck.PCG(stream, Prop.BaseSeed + i), null, out _);
            if (CheckOrderModel.FirstFailure(call.Op.Kind, call.Attrs.NumBits, call.Attrs.Min, call.Attrs.Max,
                    call.Inputs.Select(t => t.Shape.Dims.ToArray()).ToList(), call.NodeName) is not null)
            {
                continue;
            }

            cases.Add(new Case(call, FakeQuantOps.Execute(call.Op, call.Inputs, call.Attrs, call.NodeName)));
        }

        return cases.ToArray();
    }

    [Test]
    public void OpLevelCallsFromManyThreadsGiveTheSingleThreadedBits()
    {
        Case[] cases = MakeCases(48, 11);
        RunTogether(Threads, t =>
        {
            for (int rep = 0; rep < 20; rep++)
            {
                for (int k = 0; k < cases.Length; k++)
                {
                    Case c = cases[(k * 7 + t * 13 + rep) % cases.Length];
                    FloatTensor[] got = FakeQuantOps.Execute(c.Call.Op, c.Call.Inputs, c.Call.Attrs, c.Call.NodeName);
                    for (int o = 0; o < got.Length; o++)
                    {
                        Expect.SameBits(got[o].Span, c.Expected[o].Span, $"thread {t}, {c.Call.Op.Name} output {o}");
                    }
                }
            }
        });
    }

    [Test]
    public void LargeSpanCallsFromManyThreadsGiveTheSingleThreadedBits()
    {
        // Big enough that a parallel driver would split the work; each thread owns its outputs.
        const int rows = 2048, channels = 67, n = rows * channels;
        var rng = new Random(20261127);
        float[] g = new float[n], x = new float[n];
        for (int i = 0; i < n; i++)
        {
            g[i] = (float)(rng.NextDouble() * 4 - 2);
            x[i] = (float)(rng.NextDouble() * 16 - 8);
        }

        float[] mins = Enumerable.Range(0, channels).Select(c => -(float)(c % 9) - 0.5f).ToArray();
        float[] maxs = Enumerable.Range(0, channels).Select(c => (float)(c % 5) + 0.25f).ToArray();
        float[] y0 = new float[n], dx0 = new float[n], dMin0 = new float[channels], dMax0 = new float[channels];
        FakeQuantReference.PerChannel(x, mins, maxs, 8, false, y0);
        FakeQuantReference.PerChannelGradient(g, x, mins, maxs, 8, false, dx0, dMin0, dMax0);

        RunTogether(Math.Min(Threads, 8), t =>
        {
            float[] y = new float[n], dx = new float[n], dMin = new float[channels], dMax = new float[channels];
            for (int rep = 0; rep < 3; rep++)
            {
                FakeQuant.PerChannel(x, mins, maxs, 8, false, y);
                FakeQuant.PerChannelGradient(g, x, mins, maxs, 8, false, dx, dMin, dMax);
                Expect.SameBits(y, y0, $"thread {t} PerChannel");
                Expect.SameBits(dx, dx0, $"thread {t} dx");
                Expect.SameBits(dMin, dMin0, $"thread {t} dMin");
                Expect.SameBits(dMax, dMax0, $"thread {t} dMax");
                FakeQuant.VarsGradient(g, x, -3f, 5f, 8, true, dx, out float a, out float b);
                FakeQuantReference.VarsGradient(g, x, -3f, 5f, 8, true, y, out float ra, out float rb);
                Expect.SameBits([a, b], [ra, rb], $"thread {t} VarsGradient sums");
            }
        });
    }

    private sealed class Marker(int id) : IGradientFunction
    {
        public int Id { get; } = id;

        public IReadOnlyList<TTensor?> Gradient<TTensor>(IOpEmitter<TTensor> ops, ForwardOp<TTensor> op, IReadOnlyList<TTensor?> outputGradients)
            where TTensor : class => [];
    }

    [Test]
    public void GradientRegistryHasOneWinnerPerConflictingName()
    {
        string prefix = "reliability_conflict_" + Guid.NewGuid().ToString("N")[..8] + "_";
        const int names = 64;
        var markers = Enumerable.Range(0, Threads).Select(i => new Marker(i)).ToArray();
        var wins = new ConcurrentDictionary<string, ConcurrentBag<int>>();
        RunTogether(Threads, t =>
        {
            for (int k = 0; k < names; k++)
            {
                string name = prefix + ((k + t) % names);
                try
                {
                    GradientRegistry.Register(name, markers[t]);
                    wins.GetOrAdd(name, _ => []).Add(t);
                }
                catch (InvalidOperationException)
                {
                    // Another thread won this name.
                }

                // Idempotent: registering what is already there never throws.
                Expect.True(GradientRegistry.TryGet(name, out IGradientFunction? current), $"{name} not registered");
                GradientRegistry.Register(name, current!);
            }
        });

        for (int k = 0; k < names; k++)
        {
            string name = prefix + k;
            Assert.That(wins.TryGetValue(name, out var winners) ? winners.Count : 0, Is.EqualTo(1), name);
            Assert.That(GradientRegistry.TryGet(name, out IGradientFunction? g), Is.True);
            Assert.That(((Marker)g!).Id, Is.EqualTo(winners!.Single()), $"{name}: the registered function is the winner's");
        }
    }

    [Test]
    public void FakeQuantGradientsRegisterIdempotentlyWhileOthersLookThemUp()
    {
        string prefix = "reliability_mixed_" + Guid.NewGuid().ToString("N")[..8] + "_";
        RunTogether(Threads, t =>
        {
            for (int k = 0; k < 200; k++)
            {
                if ((k + t) % 3 == 0)
                {
                    GradientRegistry.RegisterFakeQuantGradients();
                }

                GradientRegistry.RegisterNotDifferentiable(prefix + (k % 10));
                Expect.True(GradientRegistry.IsNotDifferentiable(prefix + (k % 10)), "not-differentiable registration lost");
                foreach (FakeQuantOpDef op in FakeQuantCatalog.All)
                {
                    if (GradientRegistry.TryGet(op.Name, out IGradientFunction? g))
                    {
                        Expect.True(op.IsGradient ? g is null : ReferenceEquals(g, FakeQuantGradient.Instance), op.Name);
                    }
                }
            }
        });

        GradientRegistry.RegisterFakeQuantGradients();
        foreach (FakeQuantOpDef op in FakeQuantCatalog.All)
        {
            Assert.That(GradientRegistry.TryGet(op.Name, out IGradientFunction? g), Is.True, op.Name);
            Assert.That(op.IsGradient ? g is null : ReferenceEquals(g, FakeQuantGradient.Instance), Is.True, op.Name);
        }
    }
}
