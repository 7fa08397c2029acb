namespace TfFakeQuant.Native.Tests;

/// <summary>
/// Without TensorFlow: for every recorded graph / C API case, the decisions the bridge makes before
/// TensorFlow sees anything — the shape functions while the node is added (static shapes, or
/// unknown ones for the dynamic cases), then the kernel checks on the fed shapes before the run —
/// give exactly the outcome the live tests expect: the recorded error text (at the recorded stage),
/// the clean rank-0 text where TensorFlow aborted, eager's error for <c>eager_differs</c>, success otherwise.
/// </summary>
[TestFixture]
[Category("Native")]
public class BridgeDecisionTests
{
    public static IEnumerable<TestCaseData> GraphCases() =>
        ParityData.Cases.Where(c => c.Path is "capi" or "graph").Select(c => new TestCaseData(c).SetName($"decision:{c.Path}:{c.Id}"));

    private static (string Stage, string Message)? Decide(ParityCase c)
    {
        FakeQuantOpDef op = FakeQuantCatalog.Get(c.Op);
        TensorShape[] shapes = c.OpInputs().Select(t => t.Shape).ToArray();
        bool isStatic = c.Path == "graph" || c.Json.GetProperty("static_shapes").GetBoolean();
        try
        {
            // NativeGraph.AddFakeQuant: the placeholders' static shapes.
            ShapeInference.InferOutputShapes(op, isStatic ? shapes : shapes.Select(_ => TensorShape.Unknown).ToArray());
        }
        catch (ShapeInferenceException e)
        {
            return ("TF_FinishOperation", e.Message);
        }

        try
        {
            // RunGuard: the fed shapes, the node named "fq".
            KernelChecks.Check(op, c.Attrs, shapes, Live.NodeName(c));
        }
        catch (InvalidArgumentException e)
        {
            return ("TF_SessionRun", e.Message);
        }

        return null;
    }

    [TestCaseSource(nameof(GraphCases))]
    public void TheBridgeRefusesExactlyWhatTensorFlowRefuses(ParityCase c)
    {
        (string Stage, string Message)? decision = Decide(c);
        if (c.IsError)
        {
            Assert.That(decision, Is.Not.Null);
            string expected = c.ErrorType == "ProcessAbort" ? Live.RankZeroText : c.ErrorMessage!;
            Assert.That(decision!.Value.Message, Is.EqualTo(expected));
            string? stage = c.Json.GetProperty("expect").GetProperty("error").TryGetProperty("stage", out System.Text.Json.JsonElement s) ? s.GetString() : null;
            if (stage is not null)
            {
                Assert.That(decision.Value.Stage, Is.EqualTo(stage == "finish_operation" ? "TF_FinishOperation" : "TF_SessionRun"));
            }

            return;
        }

        if (c.EagerDiffers)
        {
            string? eager = Live.ManagedError(FakeQuantCatalog.Get(c.Op), c.OpInputs(), c.Attrs, Live.NodeName(c));
            Assert.That(eager, Is.Not.Null);
            Assert.That(decision?.Message, Is.EqualTo(eager), "the bridge follows eager");
            return;
        }

        Assert.That(decision, Is.Null, "a case TensorFlow ran must pass the bridge's checks");
    }
}
