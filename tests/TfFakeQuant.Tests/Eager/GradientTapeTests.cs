// Tests make many small arrays and leave them to the GC; prompt return of pooled buffers does not matter here.
#pragma warning disable NDW012
using NumSharp;
using TfFakeQuant.Eager;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Tests.Eager;

[TestFixture]
public class GradientTapeTests
{
    private const string NonPersistentText = "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)";

    private static NDArray Arr(float[] data, params int[] shape) => new(data, new Shape(shape));

    private static float[] Data(NDArray a) => a.size == 0 ? [] : a.ToArray<float>();

    private static FloatTensor T(NDArray a) => FakeQuantOps.ToTensor(a);

    private static void AssertBitwise(NDArray? actual, FloatTensor expected, string what)
    {
        Assert.That(actual, Is.Not.Null, what);
        Assert.That(actual!.shape.Select(d => (long)d), Is.EqualTo(expected.Shape.Dims.ToArray()), what + " shape");
        int[] a = Data(actual).Select(BitConverter.SingleToInt32Bits).ToArray();
        int[] e = expected.GetArray().Select(BitConverter.SingleToInt32Bits).ToArray();
        Assert.That(a, Is.EqualTo(e), what);
    }

    // [4, 3]: values inside, below and above each channel's range, including the nudged bounds' neighbourhood.
    private static NDArray X() => Arr(
    [
        -1.20f, 0.05f, 3.10f,
        -0.40f, 0.70f, 7.90f,
         0.33f, 1.30f, -2.6f,
         1.90f, -0.5f, 5.55f,
    ], 4, 3);

    private static NDArray Upstream() => Arr([0.5f, -1f, 2f, 0.25f, 1.5f, -0.75f, 3f, 1f, -2f, 0.125f, 4f, 1f], 4, 3);

    [Test]
    public void ChainedOpsBackpropagateThroughEachRegisteredGradient()
    {
        NDArray x = X();
        NDArray vmin = Arr([-2.5f], []);
        NDArray vmax = Arr([2f], []);
        NDArray pmin = Arr([-1f, 0f, -2f], 3);
        NDArray pmax = Arr([1f, 1f, 6f], 3);
        NDArray u = Upstream();

        NDArray a, b, c;
        NDArray?[] g;
        using (var tape = new GradientTape())
        {
            tape.watch(x, vmin, vmax, pmin, pmax);
            a = EagerOps.fake_quant_with_min_max_args(x, min: -3f, max: 3f, num_bits: 8);
            b = EagerOps.fake_quant_with_min_max_vars(a, vmin, vmax, num_bits: 6, narrow_range: true);
            c = EagerOps.fake_quant_with_min_max_vars_per_channel(b, pmin, pmax, num_bits: 4);
            Assert.That(tape.RecordedOpCount, Is.EqualTo(3));
            g = tape.gradient(c, [x, vmin, vmax, pmin, pmax], output_gradients: u);
        }

        // The same chain by hand with the op-level API.
        var (dB, dPmin, dPmax) = FakeQuantOps.PerChannelGradient(T(u), T(b), T(pmin), T(pmax), 4);
        var (dA, dVmin, dVmax) = FakeQuantOps.VarsGradient(dB, T(a), T(vmin), T(vmax), 6, true);
        FloatTensor dX = FakeQuantOps.ArgsGradient(dA, T(x), -3f, 3f, 8);

        AssertBitwise(g[0], dX, "d_x");
        AssertBitwise(g[1], dVmin, "d_vmin");
        AssertBitwise(g[2], dVmax, "d_vmax");
        AssertBitwise(g[3], dPmin, "d_pmin");
        AssertBitwise(g[4], dPmax, "d_pmax");
        Assert.That(Data(g[0]!).Any(v => v == 0f) && Data(g[0]!).Any(v => v != 0f), "the chain masks some positions and passes others");
    }

    [Test]
    public void GradientsOfAReusedArrayAreAddedInTheDocumentedOrder()
    {
        // x feeds three ops; their output gradients on each element are 1, 1e8 and -1e8. The
        // documented order adds the latest consumer first: (-1e8 + 1e8) + 1 = 1. Adding in
        // execution order would give (1 + 1e8) - 1e8 = 0 in float32.
        NDArray x = Arr([0.5f, -1.25f, 2f, 3.5f], 2, 2);
        NDArray zero = Arr([0f, 0f], 2);
        NDArray ones = Arr([1f, 1f, 1f, 1f], 2, 2);
        NDArray big = Arr([1e8f, 1e8f, 1e8f, 1e8f], 2, 2);
        NDArray minusBig = Arr([-1e8f, -1e8f, -1e8f, -1e8f], 2, 2);

        using var tape = new GradientTape();
        tape.watch(x);
        NDArray y1 = EagerOps.fake_quant_with_min_max_args(x);
        NDArray y2 = EagerOps.fake_quant_with_min_max_vars(x, Arr([-6f], []), Arr([6f], []));
        NDArray y3 = EagerOps.fake_quant_with_min_max_vars_per_channel(x, Arr([-6f, -6f], 2), Arr([6f, 6f], 2));
        NDArray? dx = tape.gradient([y1, y2, y3], [x, zero], [ones, big, minusBig])[0];

        Assert.That(Data(dx!), Is.EqualTo(new[] { 1f, 1f, 1f, 1f }));
    }

    [Test]
    public void AnArrayUsedTwiceByOneOpGetsBothContributions()
    {
        // Vars(x, m, m) with m = 0: min == max == 0, so every input gradient passes through.
        NDArray x = Arr([1f, -2f, 3f], 3);
        NDArray m = Arr([0f], []);
        using var tape = new GradientTape();
        tape.watch(x);
        NDArray y = EagerOps.fake_quant_with_min_max_vars(x, m, m);
        NDArray y2 = EagerOps.fake_quant_with_min_max_args(y);
        NDArray? dx = tape.gradient(y2, x, output_gradients: Arr([2f, 2f, 2f], 3));
        Assert.That(Data(dx!), Is.EqualTo(new[] { 2f, 2f, 2f }));
    }

    [Test]
    public void APersistentTapeComputesSeveralSetsOfGradients()
    {
        NDArray x = X();
        NDArray min = Arr([-1f, 0f, -2f], 3);
        NDArray max = Arr([1f, 1f, 6f], 3);
        using var tape = new GradientTape(persistent: true);
        tape.watch(x, min, max);
        NDArray y = quantization.fake_quant_with_min_max_vars_per_channel(x, min, max);
        NDArray?[] first = tape.gradient(y, [x, min, max], Upstream());
        NDArray?[] second = tape.gradient(y, [min, max]);
        NDArray?[] third = tape.gradient(y, [x, min, max], Upstream());

        Assert.That(tape.IsRecording, Is.True, "a persistent tape keeps recording inside its scope");
        var (dx, dmin, dmax) = FakeQuantOps.PerChannelGradient(T(Upstream()), T(x), T(min), T(max));
        AssertBitwise(first[0], dx, "d_x");
        AssertBitwise(third[0], dx, "d_x again");
        AssertBitwise(third[1], dmin, "d_min again");
        var (_, dminOnes, dmaxOnes) = FakeQuantOps.PerChannelGradient(T(Arr(Enumerable.Repeat(1f, 12).ToArray(), 4, 3)), T(x), T(min), T(max));
        AssertBitwise(second[0], dminOnes, "d_min with ones");
        AssertBitwise(second[1], dmaxOnes, "d_max with ones");
        Assert.That(Data(second[0]!), Is.Not.EqualTo(Data(first[1]!)), "the two calls used different output gradients");
    }

    [Test]
    public void ANonPersistentTapeRefusesASecondGradientWithTensorFlowsText()
    {
        NDArray x = X();
        var tape = new GradientTape();
        tape.watch(x);
        NDArray y = EagerOps.fake_quant_with_min_max_args(x);
        Assert.That(tape.gradient(y, x), Is.Not.Null);
        Assert.That(tape.IsRecording, Is.False, "gradient() stops a non-persistent tape's recording");

        var ex = Assert.Throws<InvalidOperationException>(() => tape.gradient(y, x));
        Assert.That(ex!.Message, Is.EqualTo(NonPersistentText));
        ex = Assert.Throws<InvalidOperationException>(() => tape.watch(x));
        Assert.That(ex!.Message, Is.EqualTo(NonPersistentText));
        tape.Dispose();
    }

    [Test]
    public void PathsThroughTheGradientOpsContributeNullNotAnError()
    {
        NDArray x = X();
        NDArray min = Arr([-1f, 0f, -2f], 3);
        NDArray max = Arr([1f, 1f, 6f], 3);
        NDArray u = Upstream();
        using var tape = new GradientTape(persistent: true);
        tape.watch(x, min, max, u);
        var (dx, dmin, dmax) = EagerOps.fake_quant_with_min_max_vars_per_channel_gradient(u, x, min, max);
        Assert.That(tape.RecordedOpCount, Is.EqualTo(1));
        Assert.That(tape.gradient(dx, [x, min, max, u]), Has.All.Null);
        Assert.That(tape.gradient([dmin, dmax], [x, min, max, u]), Has.All.Null);

        NDArray back = EagerOps.fake_quant_with_min_max_args_gradient(u, x);
        Assert.That(tape.gradient(back, [x, u]), Has.All.Null);
        var (vx, _, _) = EagerOps.fake_quant_with_min_max_vars_gradient(u, x, Arr([-1f], []), Arr([1f], []));
        Assert.That(tape.gradient(vx, x), Is.Null);
    }

    [Test]
    public void AnOpWithNoGradientRegistrationStopsWithTensorFlowsText()
    {
        var context = new EagerContext();
        string opType = "TestNoGradient_" + Guid.NewGuid().ToString("N");
        context.Kernels.Register(opType, (inputs, _) => [Arr([.. Data(inputs[0]).Select(v => v * 0.5f)], 4, 3)]);
        NDArray x = X();
        using var tape = new GradientTape();
        tape.watch(x);
        NDArray h = context.Execute(opType, [x])[0];
        NDArray y = EagerOps.fake_quant_with_min_max_vars_per_channel(h, Arr([-1f, 0f, -2f], 3), Arr([1f, 1f, 6f], 3));
        var ex = Assert.Throws<KeyNotFoundException>(() => tape.gradient(y, x));
        Assert.That(ex!.Message, Is.EqualTo($"gradient registry has no entry for: {opType}"));
    }

    [Test]
    public void AUserOpWithAUserGradientChainsWithTheFakeQuantGradients()
    {
        // TestScale3(x) = 3x with gradient 3g, registered as a user would: the gradient function
        // emits the op itself through the eager emitter.
        var context = new EagerContext();
        string opType = "TestScale3_" + Guid.NewGuid().ToString("N");
        context.Kernels.Register(opType, (inputs, _) =>
            [new NDArray(Data(inputs[0]).Select(v => v * 3f).ToArray(), new Shape(inputs[0].shape))]);
        GradientRegistry.Register(opType, new EmitSameOp());

        NDArray x = X();
        NDArray min = Arr([-1f, 0f, -2f], 3);
        NDArray max = Arr([1f, 1f, 6f], 3);
        NDArray u = Upstream();
        using var tape = new GradientTape();
        tape.watch(x);
        NDArray h = context.Execute(opType, [x])[0];
        NDArray y = EagerOps.fake_quant_with_min_max_vars_per_channel(h, min, max);
        NDArray? dx = tape.gradient(y, x, u);

        var (dh, _, _) = FakeQuantOps.PerChannelGradient(T(u), T(h), T(min), T(max));
        Assert.That(Data(dx!), Is.EqualTo(dh.GetArray().Select(v => v * 3f).ToArray()));
    }

    private sealed class EmitSameOp : IGradientFunction
    {
        public IReadOnlyList<TTensor?> Gradient<TTensor>(IOpEmitter<TTensor> ops, ForwardOp<TTensor> op, IReadOnlyList<TTensor?> outputGradients)
            where TTensor : class => [ops.Emit(op.Type, [outputGradients[0]!], op.Attrs)[0]];
    }

    [Test]
    public void UnconnectedAndUnwatchedSourcesGetNull()
    {
        NDArray x = X();
        NDArray other = X();
        NDArray min = Arr([-1f, 0f, -2f], 3);
        NDArray max = Arr([1f, 1f, 6f], 3);
        using var tape = new GradientTape();
        tape.watch(x);
        tape.watch(other);
        NDArray y = EagerOps.fake_quant_with_min_max_vars_per_channel(x, min, max); // min, max not watched
        NDArray?[] g = tape.gradient(y, [x, other, min, max, X()]);
        Assert.That(g[0], Is.Not.Null);
        Assert.That(g[1], Is.Null, "watched but not connected");
        Assert.That(g[2], Is.Null, "not watched");
        Assert.That(g[3], Is.Null, "not watched");
        Assert.That(g[4], Is.Null, "an equal array is not the same array (reference identity)");
    }

    [Test]
    public void UnconnectedSourcesCanGetZeros()
    {
        NDArray x = X();
        NDArray other = Arr([1f, 2f, 3f], 3);
        using var tape = new GradientTape();
        tape.watch(x, other);
        NDArray y = EagerOps.fake_quant_with_min_max_args(x);
        NDArray?[] g = tape.gradient(y, [x, other], unconnected_gradients: UnconnectedGradients.Zero);
        Assert.That(Data(g[0]!), Has.Some.Not.EqualTo(0f));
        Assert.That(g[1]!.shape, Is.EqualTo(other.shape));
        Assert.That(Data(g[1]!), Is.EqualTo(new[] { 0f, 0f, 0f }));
    }

    [Test]
    public void StopRecordingPausesTheTape()
    {
        NDArray x = X();
        using var tape = new GradientTape(persistent: true);
        tape.watch(x);
        NDArray y;
        using (tape.stop_recording())
        {
            Assert.That(tape.IsRecording, Is.False);
            y = EagerOps.fake_quant_with_min_max_args(x);
            var ex = Assert.Throws<InvalidOperationException>(() => tape.stop_recording());
            Assert.That(ex!.Message, Is.EqualTo("Tape is not recording."));
        }

        Assert.That(tape.IsRecording, Is.True);
        NDArray z = EagerOps.fake_quant_with_min_max_args(x);
        Assert.That(tape.RecordedOpCount, Is.EqualTo(1));
        Assert.That(tape.gradient(y, x), Is.Null, "y was computed while recording was stopped");
        Assert.That(tape.gradient(z, x), Is.Not.Null);
    }

    [Test]
    public void ATargetThatIsItsOwnSourceGetsItsOutputGradient()
    {
        NDArray x = Arr([1f, 2f], 2);
        using var tape = new GradientTape(persistent: true);
        tape.watch(x);
        Assert.That(Data(tape.gradient(x, x)!), Is.EqualTo(new[] { 1f, 1f }));
        Assert.That(Data(tape.gradient(x, x, Arr([3f, -4f], 2))!), Is.EqualTo(new[] { 3f, -4f }));
    }

    [Test]
    public void NothingIsRecordedAfterDisposeNorFromUnwatchedInputs()
    {
        NDArray x = X();
        var tape = new GradientTape();
        tape.watch(x);
        _ = EagerOps.fake_quant_with_min_max_args(X()); // input not traced: not recorded
        Assert.That(tape.RecordedOpCount, Is.EqualTo(0));
        NDArray y = EagerOps.fake_quant_with_min_max_args(x);
        Assert.That(tape.RecordedOpCount, Is.EqualTo(1));
        Assert.That(tape.IsTraced(y));
        tape.Dispose();
        Assert.That(tape.IsRecording, Is.False);
        NDArray z = EagerOps.fake_quant_with_min_max_args(y);
        Assert.That(tape.RecordedOpCount, Is.EqualTo(1));
        Assert.That(tape.gradient(z, x), Is.Null, "z was computed after the tape stopped");
    }

    [Test]
    public void OpsOnAnotherThreadAreNotRecorded()
    {
        NDArray x = X();
        using var tape = new GradientTape();
        tape.watch(x);
        NDArray? y = null;
        var thread = new Thread(() => y = EagerOps.fake_quant_with_min_max_args(x));
        thread.Start();
        thread.Join();
        Assert.That(y, Is.Not.Null);
        Assert.That(tape.RecordedOpCount, Is.EqualTo(0));
    }

    [Test]
    public void ATapeStoppedFromAnotherThreadStopsRecording()
    {
        NDArray x = X();
        var tape = new GradientTape(persistent: true);
        tape.watch(x);
        NDArray y = EagerOps.fake_quant_with_min_max_args(x);
        var thread = new Thread(tape.Dispose);
        thread.Start();
        thread.Join();
        Assert.That(tape.IsRecording, Is.False);
        _ = EagerOps.fake_quant_with_min_max_args(y);
        Assert.That(tape.RecordedOpCount, Is.EqualTo(1));
        Assert.That(tape.gradient(y, x), Is.Not.Null);
    }

    [Test]
    public void NestedTapesBothRecord()
    {
        NDArray x = X();
        using var outer = new GradientTape();
        outer.watch(x);
        using var inner = new GradientTape();
        NDArray y = EagerOps.fake_quant_with_min_max_args(x);
        Assert.That(outer.RecordedOpCount, Is.EqualTo(1));
        Assert.That(inner.RecordedOpCount, Is.EqualTo(0), "the inner tape watches nothing");
        Assert.That(outer.gradient(y, x), Is.Not.Null);
    }

    [Test]
    public void BadCallsAreClearErrors()
    {
        NDArray x = X();
        using var tape = new GradientTape(persistent: true);
        tape.watch(x);
        NDArray y = EagerOps.fake_quant_with_min_max_args(x);
        // An output gradient of another shape reaches the gradient kernel, as in TensorFlow.
        var shapeError = Assert.Throws<InvalidArgumentException>(() => tape.gradient(y, x, output_gradients: Arr([1f, 2f], 2)));
        Assert.That(shapeError!.Message, Is.EqualTo(
            $"Inputs to operation FakeQuantWithMinMaxArgsGradient of type FakeQuantWithMinMaxArgsGradient must have the same size and shape.  Input 0: [2] != input 1: [{string.Join(",", x.shape)}]"));
        Assert.Throws<ArgumentException>(() => tape.gradient([y], [x], [Arr([1f], 1), Arr([1f], 1)]));
        Assert.Throws<ArgumentNullException>(() => tape.watch((NDArray)null!));

        // Kernel checks raise TensorFlow's eager texts while recording, and nothing is recorded.
        var ex = Assert.Throws<InvalidArgumentException>(() => EagerOps.fake_quant_with_min_max_vars_per_channel(x, Arr([0f], 1), Arr([1f], 1), num_bits: 1));
        Assert.That(ex!.Message, Is.EqualTo("num_bits must be between 2 and 16, inclusive"));
        ex = Assert.Throws<InvalidArgumentException>(() => EagerOps.fake_quant_with_min_max_vars(x, Arr([0f], 1), Arr([1f], [])));
        Assert.That(ex!.Message, Is.EqualTo("`min` must be rank 0 but is rank 1"));
        Assert.That(tape.RecordedOpCount, Is.EqualTo(1));
    }
}
