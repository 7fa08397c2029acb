using TfFakeQuant.Ops;

namespace TfFakeQuant.Tests.Parity;

/// <summary>
/// Every recorded kernel case: all <c>eager</c> cases (outputs and error texts), and the outputs
/// of every <c>graph</c> and <c>capi</c> case that succeeded (the same kernels run through a
/// session; <c>eager_differs</c> cases follow eager and are checked by the native bridge).
/// One test per recorded case, named by its id.
/// </summary>
[TestFixture]
[Category("Parity")]
public class KernelParityTests
{
    public static IEnumerable<TestCaseData> Cases() =>
        ParityData.Cases
            .Where(c => c.Path == "eager" || ((c.Path is "graph" or "capi") && !c.IsError && !c.EagerDiffers))
            .Select(c => new TestCaseData(c).SetName($"{c.Path}:{c.Id}").SetCategory(c.Path));

    [TestCaseSource(nameof(Cases))]
    public void MatchesTensorFlow(ParityCase c)
    {
        FakeQuantOpDef op = FakeQuantCatalog.Get(c.Op);
        FloatTensor[] inputs = c.OpInputs();
        if (c.IsError)
        {
            // ProcessAbort: TensorFlow killed its own process; we give the clean rank-0 error (SPEC.md).
            string expected = c.ErrorType == "ProcessAbort" ? "Shape must be at least rank 1 but is rank 0" : c.ErrorMessage!;
            var ex = Assert.Throws<InvalidArgumentException>(() => FakeQuantOps.Execute(op, inputs, c.Attrs));
            Assert.That(ex!.Message, Is.EqualTo(expected));
            return;
        }

        FloatTensor[] outputs = FakeQuantOps.Execute(op, inputs, c.Attrs);
        ParityAssert.Outputs(c, op.OutputNames.Zip(outputs).ToDictionary(p => p.First, p => p.Second));
    }

    [Test]
    public void TheCaseSetIsNotEmpty() => Assert.That(Cases().Count(), Is.GreaterThan(0), $"no cases under {ParityData.Root}");
}
