// Tests make many small arrays and leave them to the GC; prompt return of pooled buffers does not matter here.
#pragma warning disable NDW012
using NumSharp;
using TfFakeQuant.Eager;
using TfFakeQuant.Kernels;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Tests.Foundation;

/// <summary>
/// The README's "Quick start" and "Eager mode" snippets, line for line with data around them,
/// checked against the scalar reference (the "Graph mode" snippet is in <c>GraphBuilderTests</c>).
/// </summary>
[TestFixture]
public class ReadmeSnippetTests
{
    [Test]
    public void QuickStart()
    {
        var rng = new Random(5);
        float[] data = [.. Enumerable.Range(0, 12).Select(_ => (float)((rng.NextDouble() * 8) - 3))];
        float[] up = [.. Enumerable.Range(0, 12).Select(_ => (float)((rng.NextDouble() * 2) - 1))];
        float[] gradientsArray = (float[])up.Clone();
        Span<float> gradients = gradientsArray;
        ReadOnlySpan<float> inputs = data, min = [-1f, 0f, -2f], max = [1f, 1f, 6f];
        Span<float> dMin = stackalloc float[3], dMax = stackalloc float[3];
        var upstream = new FloatTensor(TensorShape.Of(4, 3), up);

        // Span level: no allocation; the input backprop may overwrite the gradients in place.
        FakeQuant.PerChannelGradient(gradients, inputs, min, max, numBits: 8, narrowRange: false,
            backpropsWrtInput: gradients, backpropWrtMin: dMin, backpropWrtMax: dMax);

        // Op level: TensorFlow's eager checks and texts, then the kernel.
        var x = new FloatTensor(TensorShape.Of(4, 3), data);
        var (dx, dmin, dmax) = FakeQuantOps.PerChannelGradient(upstream, x,
            FloatTensor.Vector(-1f, 0f, -2f), FloatTensor.Vector(1f, 1f, 6f), numBits: 8);

        float[] refDx = new float[12], refMin = new float[3], refMax = new float[3];
        FakeQuantReference.PerChannelGradient(up, data, min, max, 8, false, refDx, refMin, refMax);
        Assert.That(gradientsArray, Is.EqualTo(refDx), "span level, in place");
        Assert.That(dMin.ToArray(), Is.EqualTo(refMin));
        Assert.That(dMax.ToArray(), Is.EqualTo(refMax));
        Assert.That(dx.GetArray(), Is.EqualTo(refDx), "op level");
        Assert.That(dmin.GetArray(), Is.EqualTo(refMin));
        Assert.That(dmax.GetArray(), Is.EqualTo(refMax));
        Assert.That(refMin.Concat(refMax).Any(v => v != 0f), "the data reaches both range gradients");
    }

    [Test]
    public void EagerMode()
    {
        var rng = new Random(6);
        float[] weights = [.. Enumerable.Range(0, 32 * 8).Select(_ => (float)((rng.NextDouble() * 3) - 1.5))];
        float[] mins = [.. Enumerable.Repeat(-1f, 8)], maxs = [.. Enumerable.Repeat(1f, 8)];
        NDArray dLoss_dWq = new(Enumerable.Range(0, 32 * 8).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray(), new Shape(32, 8));

        NDArray w = new(weights, new Shape(32, 8));                     // channel = last dimension
        NDArray min = new(mins, new Shape(8)), max = new(maxs, new Shape(8));
        using var tape = new GradientTape();                            // with tf.GradientTape() as tape:
        tape.watch(w); tape.watch(min); tape.watch(max);
        NDArray wq = quantization.fake_quant_with_min_max_vars_per_channel(w, min, max, num_bits: 4);
        NDArray?[] g = tape.gradient(wq, [w, min, max], output_gradients: dLoss_dWq);

        float[] up = dLoss_dWq.ToArray<float>(), refDx = new float[256], refMin = new float[8], refMax = new float[8], refY = new float[256];
        FakeQuantReference.PerChannel(weights, mins, maxs, 4, false, refY);
        FakeQuantReference.PerChannelGradient(up, weights, mins, maxs, 4, false, refDx, refMin, refMax);
        Assert.That(wq.ToArray<float>(), Is.EqualTo(refY));
        Assert.That(g[0]!.ToArray<float>(), Is.EqualTo(refDx));
        Assert.That(g[1]!.ToArray<float>(), Is.EqualTo(refMin));
        Assert.That(g[2]!.ToArray<float>(), Is.EqualTo(refMax));
        Assert.That(refMin.Concat(refMax).Any(v => v != 0f), "the data reaches both range gradients");
    }
}
