// Tests make many small arrays and leave them to the GC; prompt return of pooled buffers does not matter here.
#pragma warning disable NDW012
using NumSharp;
using TfFakeQuant.Eager;
using TfFakeQuant.Ops;
using TfFakeQuant.Tests.Parity;

namespace TfFakeQuant.Tests.Eager;

/// <summary>
/// The recorded <c>tape</c> cases: <c>tf.GradientTape</c> over FakeQuantWithMinMaxVarsPerChannel
/// with <c>upstream</c> as the output gradient, reproduced through <see cref="GradientTape"/> and
/// compared per FORMAT.md (<c>forward</c>, <c>d_inputs</c>, <c>d_min</c>, <c>d_max</c>). One test per case id.
/// </summary>
[TestFixture]
[Category("Parity")]
public class TapeParityTests
{
    public static IEnumerable<TestCaseData> Cases() =>
        ParityData.Cases
            .Where(c => c.Path == "tape")
            .Select(c => new TestCaseData(c).SetName($"tape:{c.Id}").SetCategory("tape"));

    [TestCaseSource(nameof(Cases))]
    public void MatchesTensorFlow(ParityCase c)
    {
        Assert.That(c.Op, Is.EqualTo(FakeQuantCatalog.VarsPerChannelName), "tape cases record the per-channel op");
        NDArray x = FakeQuantOps.ToNDArray(c.Input("inputs"));
        NDArray min = FakeQuantOps.ToNDArray(c.Input("min"));
        NDArray max = FakeQuantOps.ToNDArray(c.Input("max"));
        NDArray upstream = FakeQuantOps.ToNDArray(c.Input("upstream"));

        NDArray forward;
        NDArray?[] grads;
        using (var tape = new GradientTape())
        {
            tape.watch(x);
            tape.watch(min);
            tape.watch(max);
            forward = quantization.fake_quant_with_min_max_vars_per_channel(x, min, max, num_bits: c.Attrs.NumBits, narrow_range: c.Attrs.NarrowRange);
            grads = tape.gradient(forward, [x, min, max], output_gradients: upstream);
        }

        Assert.That(grads, Has.All.Not.Null);
        ParityAssert.Outputs(c, new Dictionary<string, FloatTensor>
        {
            ["forward"] = FakeQuantOps.ToTensor(forward),
            ["d_inputs"] = FakeQuantOps.ToTensor(grads[0]!),
            ["d_min"] = FakeQuantOps.ToTensor(grads[1]!),
            ["d_max"] = FakeQuantOps.ToTensor(grads[2]!),
        });
    }

    [Test]
    public void TheRecordedTapeCasesAreThere()
    {
        int count = Cases().Count();
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ParityData.EnvironmentVariable)))
        {
            Assert.That(count, Is.EqualTo(12), "TensorFlow 2.21.0's recorded set has 12 tape cases");
        }
        else
        {
            Assert.That(count, Is.GreaterThan(0), $"no tape cases under {ParityData.Root}");
        }
    }
}
