// Tests make many small arrays and leave them to the GC; prompt return of pooled buffers does not matter here.
#pragma warning disable NDW012
using System.Collections.Concurrent;
using NumSharp;
using TfFakeQuant.Eager;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Tests.Eager;

[TestFixture]
public class KernelRegistryTests
{
    private static NDArray Arr(float[] data, params int[] shape) => new(data, new Shape(shape));

    private static float[] Data(NDArray a) => a.size == 0 ? [] : a.ToArray<float>();

    private static readonly float[] Xs = [-7f, -2.5f, 0f, 0.3f, 1.9f, 6.5f];

    [Test]
    public void ANewContextHasTheSixFakeQuantKernels()
    {
        var context = new EagerContext();
        foreach (FakeQuantOpDef op in FakeQuantCatalog.All)
        {
            Assert.That(context.Kernels.Contains(op.Name), op.Name);
        }

        Assert.That(context.Kernels.OpTypes, Has.Count.EqualTo(6));
        Assert.That(GradientRegistry.TryGet(FakeQuantCatalog.VarsPerChannelName, out IGradientFunction? g) && g is not null);
        Assert.That(GradientRegistry.IsNotDifferentiable(FakeQuantCatalog.VarsPerChannelGradientName));
    }

    [Test]
    public void RegisteringTheFakeQuantKernelsAgainIsANoOp()
    {
        var registry = new KernelRegistry();
        registry.RegisterFakeQuantKernels();
        Assert.That(registry.TryGet(FakeQuantCatalog.ArgsName, out EagerKernel? first));
        registry.RegisterFakeQuantKernels();
        Assert.That(registry.TryGet(FakeQuantCatalog.ArgsName, out EagerKernel? second));
        Assert.That(second, Is.SameAs(first));
        Assert.That(registry.OpTypes, Has.Count.EqualTo(6));
    }

    [Test]
    public void ExecutingAFakeQuantOpMatchesTheOpLevelApi()
    {
        var context = new EagerContext();
        NDArray x = Arr(Xs, 2, 3);
        NDArray min = Arr([-1f, 0f, -2f], 3);
        NDArray max = Arr([1f, 1f, 6f], 3);
        NDArray y = context.Execute(FakeQuantCatalog.VarsPerChannelName, [x, min, max],
            new Dictionary<string, object> { ["num_bits"] = 4L, ["narrow_range"] = true })[0];
        FloatTensor expected = FakeQuantOps.PerChannel(FakeQuantOps.ToTensor(x), FakeQuantOps.ToTensor(min), FakeQuantOps.ToTensor(max), 4, true);
        Assert.That(y.dtype, Is.EqualTo(typeof(float)));
        Assert.That(y.shape, Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(Data(y), Is.EqualTo(expected.GetArray()));
    }

    [Test]
    public void MissingAttrsTakeTensorFlowsDefaults()
    {
        var context = new EagerContext();
        NDArray x = Arr([2f], 1);
        NDArray y = context.Execute(FakeQuantCatalog.ArgsName, [x])[0];
        Assert.That(Data(y)[0], Is.EqualTo(2.0235295f)); // SPEC.md check value: [-6, 6], 8 bits, input 2.0
    }

    [Test]
    public void KernelChecksGiveTensorFlowsEagerTexts()
    {
        var context = new EagerContext();
        NDArray x = Arr(Xs, 2, 3);
        var ex = Assert.Throws<InvalidArgumentException>(() =>
            context.Execute(FakeQuantCatalog.VarsPerChannelName, [x, Arr([0f, 0f], 2), Arr([1f, 1f, 1f], 3)]));
        Assert.That(ex!.Message, Is.EqualTo("min has incorrect size, expected 3 was 2"));
        ex = Assert.Throws<InvalidArgumentException>(() =>
            context.Execute(FakeQuantCatalog.ArgsName, [x], new Dictionary<string, object> { ["num_bits"] = 17L }));
        Assert.That(ex!.Message, Is.EqualTo("num_bits must be between 2 and 16, inclusive"));
        ex = Assert.Throws<InvalidArgumentException>(() => EagerOps.fake_quant_with_min_max_args(x, min: 1f, max: 1f));
        Assert.That(ex!.Message, Is.EqualTo("min has to be smaller than max, was: 1 >= 1"));
    }

    [Test]
    public void TheThreeFrontsGiveTheSameResults()
    {
        NDArray x = Arr(Xs, 2, 3);
        NDArray g = Arr([1f, -2f, 0.5f, 4f, -1f, 3f], 2, 3);
        NDArray min = Arr([-1f, 0f, -2f], 3);
        NDArray max = Arr([1f, 1f, 6f], 3);
        float[] a = Data(EagerOps.fake_quant_with_min_max_vars_per_channel(x, min, max, num_bits: 5));
        float[] b = Data(quantization.fake_quant_with_min_max_vars_per_channel(x, min, max, num_bits: 5));
        float[] c = Data(raw_ops.FakeQuantWithMinMaxVarsPerChannel(inputs: x, min: min, max: max, num_bits: 5));
        Assert.That(b, Is.EqualTo(a));
        Assert.That(c, Is.EqualTo(a));

        var (dx, dmin, dmax) = raw_ops.FakeQuantWithMinMaxVarsPerChannelGradient(g, x, min, max, num_bits: 5);
        var expected = FakeQuantOps.PerChannelGradient(FakeQuantOps.ToTensor(g), FakeQuantOps.ToTensor(x), FakeQuantOps.ToTensor(min), FakeQuantOps.ToTensor(max), 5);
        Assert.That(Data(dx), Is.EqualTo(expected.BackpropsWrtInput.GetArray()));
        Assert.That(Data(dmin), Is.EqualTo(expected.BackpropWrtMin.GetArray()));
        Assert.That(Data(dmax), Is.EqualTo(expected.BackpropWrtMax.GetArray()));

        var (vx, vmin, vmax) = quantization.fake_quant_with_min_max_vars_gradient(g, x, Arr([-1f], []), Arr([2f], []));
        Assert.That(vmin.ndim, Is.EqualTo(0), "per-tensor range gradients are rank 0");
        Assert.That(vmax.ndim, Is.EqualTo(0));
        Assert.That(Data(vx), Has.Length.EqualTo(6));
        Assert.That(Data(raw_ops.FakeQuantWithMinMaxArgsGradient(g, x, min: -1f, max: 1f)),
            Is.EqualTo(Data(EagerOps.fake_quant_with_min_max_args_gradient(g, x, -1f, 1f))));
    }

    [Test]
    public void AUserKernelRunsForItsOpName()
    {
        var context = new EagerContext();
        context.Kernels.Register("TestNegate", (inputs, _) => [Arr([.. Data(inputs[0]).Select(v => -v)], [.. inputs[0].shape.Select(d => (int)d)])]);
        NDArray[] y = context.Execute("TestNegate", [Arr([1f, -2f], 2)]);
        Assert.That(Data(y[0]), Is.EqualTo(new[] { -1f, 2f }));
    }

    [Test]
    public void AnUnknownOpNameIsAClearError()
    {
        var context = new EagerContext();
        var ex = Assert.Throws<KeyNotFoundException>(() => context.Execute("NoSuchOp", [Arr([1f], 1)]));
        Assert.That(ex!.Message, Does.Contain("NoSuchOp"));
    }

    [Test]
    public void OurKernelsAreOnlyReplacedWhenAskedTo()
    {
        var context = new EagerContext();
        EagerKernel ours = KernelRegistry.FakeQuantKernel(FakeQuantCatalog.ArgsName);
        EagerKernel zeros = (inputs, _) => [Arr(new float[inputs[0].size], [.. inputs[0].shape.Select(d => (int)d)])];

        var ex = Assert.Throws<InvalidOperationException>(() => context.Kernels.Register(FakeQuantCatalog.ArgsName, zeros));
        Assert.That(ex!.Message, Does.Contain(FakeQuantCatalog.ArgsName).And.Contain("replace: true"));
        Assert.That(Data(context.Execute(FakeQuantCatalog.ArgsName, [Arr([2f], 1)])[0])[0], Is.EqualTo(2.0235295f));

        context.Kernels.Register(FakeQuantCatalog.ArgsName, zeros, replace: true);
        Assert.That(Data(context.Execute(FakeQuantCatalog.ArgsName, [Arr([2f], 1)])[0])[0], Is.EqualTo(0f));

        // RegisterFakeQuantKernels keeps a user's replacement; restoring ours is explicit.
        context.Kernels.RegisterFakeQuantKernels();
        Assert.That(Data(context.Execute(FakeQuantCatalog.ArgsName, [Arr([2f], 1)])[0])[0], Is.EqualTo(0f));
        context.Kernels.Register(FakeQuantCatalog.ArgsName, ours, replace: true);
        Assert.That(Data(context.Execute(FakeQuantCatalog.ArgsName, [Arr([2f], 1)])[0])[0], Is.EqualTo(2.0235295f));

        // Another context's registry is unaffected.
        Assert.That(Data(new EagerContext().Execute(FakeQuantCatalog.ArgsName, [Arr([2f], 1)])[0])[0], Is.EqualTo(2.0235295f));
    }

    [Test]
    public void RegisteringTheSameDelegateTwiceIsAllowedAnotherOneIsNot()
    {
        var registry = new KernelRegistry();
        EagerKernel k = (inputs, _) => [inputs[0]];
        registry.Register("TestIdentity", k);
        Assert.DoesNotThrow(() => registry.Register("TestIdentity", k));
        Assert.Throws<InvalidOperationException>(() => registry.Register("TestIdentity", (inputs, _) => [inputs[0]]));
        Assert.Throws<ArgumentException>(() => registry.Register("", k));
        Assert.Throws<ArgumentNullException>(() => registry.Register("TestNull", null!));
    }

    [Test]
    public void AKernelThatReturnsItsInputGivesANewArray()
    {
        var context = new EagerContext();
        context.Kernels.Register("TestIdentity", (inputs, _) => [inputs[0], inputs[0]]);
        NDArray x = Arr([1f, 2f], 2);
        NDArray[] y = context.Execute("TestIdentity", [x]);
        Assert.That(y[0], Is.Not.SameAs(x));
        Assert.That(y[1], Is.Not.SameAs(y[0]));
        Assert.That(Data(y[0]), Is.EqualTo(Data(x)));
        Assert.That(Data(y[1]), Is.EqualTo(Data(x)));
    }

    [Test]
    public void TheDefaultContextIsCreatedOnceUnderConcurrency()
    {
        var seen = new ConcurrentBag<EagerContext>();
        RunOnThreads(16, _ => seen.Add(EagerContext.Default));
        Assert.That(seen.Distinct().Count(), Is.EqualTo(1));
        Assert.That(EagerContext.Default.Kernels.Contains(FakeQuantCatalog.VarsPerChannelGradientName));
    }

    [Test]
    public void ManyThreadsRegisterAndExecuteConcurrently()
    {
        const int Threads = 16;
        var registry = new KernelRegistry();
        var context = new EagerContext(registry);
        NDArray x = Arr(Xs, 2, 3);
        NDArray min = Arr([-1f, 0f, -2f], 3);
        NDArray max = Arr([1f, 1f, 6f], 3);
        float[] expected = FakeQuantOps.PerChannel(FakeQuantOps.ToTensor(x), FakeQuantOps.ToTensor(min), FakeQuantOps.ToTensor(max)).GetArray();
        var winners = new ConcurrentBag<int>();
        var refused = new ConcurrentBag<int>();
        var failures = new ConcurrentBag<string>();

        RunOnThreads(Threads, t =>
        {
            for (int round = 0; round < 50; round++)
            {
                registry.RegisterFakeQuantKernels();
                registry.Register($"TestOwn{t}_{round}", (inputs, _) => [Arr([t], 1)]);
                if (round == 0)
                {
                    // All threads race for one name with their own kernels: exactly one wins.
                    try
                    {
                        registry.Register("TestShared", (inputs, _) => [Arr([t], 1)]);
                        winners.Add(t);
                    }
                    catch (InvalidOperationException)
                    {
                        refused.Add(t);
                    }
                }

                float[] y = Data(context.Execute(FakeQuantCatalog.VarsPerChannelName, [x, min, max])[0]);
                if (!y.SequenceEqual(expected))
                {
                    failures.Add($"thread {t} round {round}: wrong per-channel output");
                }

                if (Data(context.Execute($"TestOwn{t}_{round}", [x])[0])[0] != t)
                {
                    failures.Add($"thread {t} round {round}: wrong user kernel");
                }
            }
        });

        Assert.That(failures, Is.Empty);
        Assert.That(winners, Has.Count.EqualTo(1));
        Assert.That(refused, Has.Count.EqualTo(Threads - 1));
        Assert.That(Data(context.Execute("TestShared", [x])[0])[0], Is.EqualTo((float)winners.Single()));
        Assert.That(registry.OpTypes, Has.Count.EqualTo(6 + 1 + (Threads * 50)));
    }

    internal static void RunOnThreads(int count, Action<int> body)
    {
        using var start = new Barrier(count);
        var errors = new ConcurrentBag<Exception>();
        var threads = Enumerable.Range(0, count).Select(i => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                body(i);
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.That(errors, Is.Empty);
    }
}
