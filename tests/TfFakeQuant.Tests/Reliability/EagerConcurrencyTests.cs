using NumSharp;
using TfFakeQuant.Eager;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Tests.Reliability;

/// <summary>
/// Eager mode under threads: one shared kernel registry receiving registrations while other
/// threads run ops through it (one winner per conflicting op name, FakeQuant kernels never lost),
/// and per-thread gradient tapes over the shared default context giving the single-threaded bits.
/// </summary>
public class EagerConcurrencyTests
{
    private static int Threads => Math.Max(4, Environment.ProcessorCount * 2);

    private static NDArray Arr(float[] data, params int[] shape) => new(data, new Shape(shape));

    [Test]
    public void KernelRegistryRegistersAtomicallyWhileContextsRunOps()
    {
        var registry = new KernelRegistry();
        var context = new EagerContext(registry);
        string prefix = "ReliabilityOp" + Guid.NewGuid().ToString("N")[..6] + "_";
        const int names = 32;
        var kernels = Enumerable.Range(0, Threads).Select(t => (EagerKernel)((inputs, _) => [inputs[0] * (float)(t + 1)])).ToArray();
        var winners = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        float[] xData = [-7f, -1.25f, 0f, 0.3f, 2f, 6.5f];
        float[] expected;
        using (NDArray y0 = context.Execute(FakeQuantCatalog.VarsPerChannelName, [Arr(xData, 3, 2), Arr([-1f, -6f], 2), Arr([1f, 6f], 2)])[0])
        {
            expected = y0.ToArray<float>();
        }

        ConcurrencyTests.RunTogether(Threads, t =>
        {
            for (int k = 0; k < names; k++)
            {
                string name = prefix + ((k * 5 + t) % names);
                try
                {
                    registry.Register(name, kernels[t]);
                    Expect.True(winners.TryAdd(name, t), $"{name} registered twice without replace");
                }
                catch (InvalidOperationException)
                {
                    // Another thread's kernel won this name.
                }

                // Re-registering the current kernel is a no-op; the FakeQuant kernels stay ours.
                Expect.True(registry.TryGet(name, out EagerKernel? current), $"{name} lost");
                registry.Register(name, current!);
                registry.RegisterFakeQuantKernels();
                using NDArray y = context.Execute(FakeQuantCatalog.VarsPerChannelName, [Arr(xData, 3, 2), Arr([-1f, -6f], 2), Arr([1f, 6f], 2)])[0];
                Expect.SameBits(y.ToArray<float>(), expected, $"thread {t} per-channel output");
            }
        });

        for (int k = 0; k < names; k++)
        {
            string name = prefix + k;
            Assert.That(winners.ContainsKey(name), Is.True, name);
            using NDArray two = Arr([2f], 1);
            using NDArray r = context.Execute(name, [two])[0];
            Assert.That(r.GetSingle(0), Is.EqualTo(2f * (winners[name] + 1)), $"{name} runs the winner's kernel");
        }
    }

    [Test]
    public void TapesOnManyThreadsGiveTheSingleThreadedGradients()
    {
        static float[][] Step(float[] xData, float[] lo, float[] hi)
        {
            using NDArray x = Arr(xData, xData.Length / 3, 3), min = Arr(lo, 3), max = Arr(hi, 3);
            using var tape = new GradientTape();
            tape.watch(x);
            tape.watch(min);
            tape.watch(max);
            using NDArray y = EagerOps.fake_quant_with_min_max_vars_per_channel(x, min, max, num_bits: 4);
            NDArray?[] g = tape.gradient(y, (IReadOnlyList<NDArray>)[x, min, max]);
            float[][] result = [y.ToArray<float>(), .. g.Select(a => a!.ToArray<float>())];
            foreach (NDArray? a in g)
            {
                a?.Dispose();
            }

            return result;
        }

        var rng = new Random(7);
        var cases = Enumerable.Range(0, 16).Select(_ =>
        {
            float[] x = Enumerable.Range(0, 3 * rng.Next(1, 20)).Select(_ => (float)(rng.NextDouble() * 16 - 8)).ToArray();
            float[] lo = [-(float)rng.NextDouble() * 6, -1f, 0f];
            float[] hi = [(float)rng.NextDouble() * 6, 1f, 0f];
            return (x, lo, hi);
        }).ToArray();
        float[][][] expected = cases.Select(c => Step(c.x, c.lo, c.hi)).ToArray();

        ConcurrencyTests.RunTogether(Threads, t =>
        {
            for (int rep = 0; rep < 10; rep++)
            {
                int k = (t * 3 + rep) % cases.Length;
                float[][] got = Step(cases[k].x, cases[k].lo, cases[k].hi);
                for (int o = 0; o < got.Length; o++)
                {
                    Expect.SameBits(got[o], expected[k][o], $"thread {t}, case {k}, output {o}");
                }
            }
        });
    }
}
