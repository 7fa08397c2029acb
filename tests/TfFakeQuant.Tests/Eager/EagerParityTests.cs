// Tests make many small arrays and leave them to the GC; prompt return of pooled buffers does not matter here.
#pragma warning disable NDW012
using NumSharp;
using TfFakeQuant.Eager;
using TfFakeQuant.Ops;
using TfFakeQuant.Tests.Parity;

namespace TfFakeQuant.Tests.Eager;

/// <summary>
/// Every recorded <c>eager</c> case (<c>tf.raw_ops</c> in eager mode) again, through the eager
/// context on NumSharp arrays: the registered kernel, TensorFlow's eager checks and texts, and the
/// NDArray round trip (rank-0 ranges, empty tensors) — outputs per FORMAT.md, errors by text.
/// </summary>
[TestFixture]
[Category("Parity")]
public class EagerParityTests
{
    public static IEnumerable<TestCaseData> Cases() =>
        ParityData.Cases
            .Where(c => c.Path == "eager")
            .Select(c => new TestCaseData(c).SetName($"eager-ndarray:{c.Id}").SetCategory("eager-ndarray"));

    [TestCaseSource(nameof(Cases))]
    public void MatchesTensorFlow(ParityCase c)
    {
        FakeQuantOpDef op = FakeQuantCatalog.Get(c.Op);
        NDArray[] inputs = c.OpInputs().Select(FakeQuantOps.ToNDArray).ToArray();
        Dictionary<string, object> attrs = c.Attrs.ToDictionary(op);
        if (c.IsError)
        {
            string expected = c.ErrorType == "ProcessAbort" ? "Shape must be at least rank 1 but is rank 0" : c.ErrorMessage!;
            var ex = Assert.Throws<InvalidArgumentException>(() => EagerContext.Default.Execute(op.Name, inputs, attrs));
            Assert.That(ex!.Message, Is.EqualTo(expected));
            return;
        }

        NDArray[] outputs = EagerContext.Default.Execute(op.Name, inputs, attrs);
        Assert.That(outputs, Has.Length.EqualTo(op.OutputNames.Count));
        Assert.That(outputs.Select(o => o.dtype), Has.All.EqualTo(typeof(float)));
        ParityAssert.Outputs(c, op.OutputNames.Zip(outputs).ToDictionary(p => p.First, p => FakeQuantOps.ToTensor(p.Second)));
    }
}
