namespace TfFakeQuant.Native.Tests;

/// <summary>
/// Every recorded case through the real TensorFlow C runtime: graph + session (the <c>capi</c> and
/// <c>graph</c> cases, with their static or dynamic placeholders) and eager (<c>TFE_Execute</c>, the
/// <c>eager</c> cases). Each is run twice: through the bridge as shipped (our checks first; outputs
/// equal TensorFlow's recording and our managed kernels bitwise; errors carry TensorFlow's text, and
/// the cases TensorFlow aborted on give the clean rank-0 error), and with our checks off (skipping
/// the <c>ProcessAbort</c> cases) to compare TensorFlow's own texts and stages with the recording.
/// </summary>
[TestFixture]
[Category("Native")]
public class ParityLiveTests
{
    public static IEnumerable<TestCaseData> GraphCases() =>
        ParityData.Cases.Where(c => c.Path is "capi" or "graph").Select(c => new TestCaseData(c).SetName($"graph:{c.Path}:{c.Id}"));

    public static IEnumerable<TestCaseData> EagerCases() =>
        ParityData.Cases.Where(c => c.Path == "eager").Select(c => new TestCaseData(c).SetName($"eager:{c.Id}"));

    private static bool StaticShapes(ParityCase c) =>
        c.Path == "graph" || (c.Json.TryGetProperty("static_shapes", out System.Text.Json.JsonElement s) && s.GetBoolean());

    private static string? Stage(ParityCase c) =>
        c.Json.GetProperty("expect").TryGetProperty("error", out System.Text.Json.JsonElement e) && e.TryGetProperty("stage", out System.Text.Json.JsonElement s)
            ? s.GetString() switch { "finish_operation" => "TF_FinishOperation", "session_run" => "TF_SessionRun", var x => x }
            : null;

    /// <summary>Builds placeholders + the op, runs a session; returns the outputs by name.</summary>
    private static Dictionary<string, FloatTensor> RunGraph(ParityCase c, bool validate, string? kernelLabel = null)
    {
        FakeQuantOpDef op = FakeQuantCatalog.Get(c.Op);
        FloatTensor[] inputs = c.OpInputs();
        bool isStatic = StaticShapes(c);
        using var graph = new NativeGraph { ValidateWithCatalogue = validate };
        TfOutput[] placeholders = op.InputNames.Select((n, i) => graph.Placeholder(n, isStatic ? inputs[i].Shape : null)).ToArray();
        IReadOnlyList<TfOutput> outputs = graph.AddFakeQuant(op, placeholders, c.Attrs, Live.NodeName(c), kernelLabel);
        using var session = new NativeSession(graph) { ValidateWithCatalogue = validate };
        IReadOnlyList<FloatTensor> values = session.Run(placeholders.Zip(inputs).Select(p => (p.First, p.Second)).ToList(), outputs);
        return Live.Named(op, values);
    }

    [TestCaseSource(nameof(GraphCases))]
    public void GraphAndSessionThroughTheBridge(ParityCase c)
    {
        TensorFlowRequired.Ensure();
        FakeQuantOpDef op = FakeQuantCatalog.Get(c.Op);
        FloatTensor[] inputs = c.OpInputs();
        string? managedError = Live.ManagedError(op, inputs, c.Attrs, Live.NodeName(c));
        if (c.IsError)
        {
            string expected = c.ErrorType == "ProcessAbort" ? Live.RankZeroText : c.ErrorMessage!;
            var ex = Assert.Throws(Is.InstanceOf<InvalidArgumentException>(), () => RunGraph(c, validate: true));
            Assert.That(ex!.Message, Is.EqualTo(expected));
            if (Stage(c) == "TF_FinishOperation")
            {
                Assert.That(ex, Is.InstanceOf<ShapeInferenceException>(), "a shape-function error is raised while the node is added");
            }

            return;
        }

        if (c.EagerDiffers)
        {
            // The C API runs these (recorded outputs); the bridge follows eager, as the managed kernels do.
            Assert.That(managedError, Is.Not.Null, "eager_differs success cases are eager errors");
            var ex = Assert.Throws(Is.InstanceOf<InvalidArgumentException>(), () => RunGraph(c, validate: true));
            Assert.That(ex!.Message, Is.EqualTo(managedError));
            return;
        }

        Dictionary<string, FloatTensor> native = RunGraph(c, validate: true);
        ParityAssert.Outputs(c, native);
        Dictionary<string, FloatTensor> managed = Live.Named(op, FakeQuantOps.Execute(op, inputs, c.Attrs, Live.NodeName(c)));
        foreach ((string name, FloatTensor expected) in managed)
        {
            if (!ParityAssert.IsReduction(name) || c.ExactReductions)
            {
                Live.BitwiseEqual(native[name], expected, $"{c.Id} {name} (TensorFlow vs managed)");
            }
        }
    }

    [TestCaseSource(nameof(GraphCases))]
    public void GraphAndSessionTensorFlowsOwnTexts(ParityCase c)
    {
        TensorFlowRequired.Ensure();
        if (c.ErrorType == "ProcessAbort")
        {
            Assert.Ignore("TensorFlow aborts its process on this input; only the guarded path may run it.");
        }

        if (!c.IsError)
        {
            ParityAssert.Outputs(c, RunGraph(c, validate: false));
            return;
        }

        var ex = Assert.Throws<TensorFlowException>(() => RunGraph(c, validate: false));
        Assert.Multiple(() =>
        {
            Assert.That(ex!.Code, Is.EqualTo(TfCode.InvalidArgument));
            Assert.That(ex.Message, Does.StartWith(c.ErrorMessage!));
            if (Stage(c) is { } stage)
            {
                Assert.That(ex.Stage, Is.EqualTo(stage));
            }
        });
    }

    [TestCaseSource(nameof(EagerCases))]
    public void EagerThroughTheBridge(ParityCase c)
    {
        TensorFlowRequired.Ensure();
        FakeQuantOpDef op = FakeQuantCatalog.Get(c.Op);
        FloatTensor[] inputs = c.OpInputs();
        using var eager = new NativeEager();
        if (c.IsError)
        {
            string expected = c.ErrorType == "ProcessAbort" ? Live.RankZeroText : c.ErrorMessage!;
            var ex = Assert.Throws(Is.InstanceOf<InvalidArgumentException>(), () => eager.Execute(c.Op, inputs, c.Attrs));
            Assert.That(ex!.Message, Is.EqualTo(expected));
            return;
        }

        Dictionary<string, FloatTensor> native = Live.Named(op, eager.Execute(c.Op, inputs, c.Attrs));
        ParityAssert.Outputs(c, native);
        Dictionary<string, FloatTensor> managed = Live.Named(op, FakeQuantOps.Execute(op, inputs, c.Attrs));
        foreach ((string name, FloatTensor expected) in managed)
        {
            if (!ParityAssert.IsReduction(name) || c.ExactReductions)
            {
                Live.BitwiseEqual(native[name], expected, $"{c.Id} {name} (TensorFlow vs managed)");
            }
        }
    }

    [TestCaseSource(nameof(EagerCases))]
    public void EagerTensorFlowsOwnTexts(ParityCase c)
    {
        TensorFlowRequired.Ensure();
        if (c.ErrorType == "ProcessAbort")
        {
            Assert.Ignore("TensorFlow aborts its process on this input; only the guarded path may run it.");
        }

        using var eager = new NativeEager { ValidateWithCatalogue = false };
        FloatTensor[] inputs = c.OpInputs();
        if (!c.IsError)
        {
            ParityAssert.Outputs(c, Live.Named(FakeQuantCatalog.Get(c.Op), eager.Execute(c.Op, inputs, c.Attrs)));
            return;
        }

        if (DependsOnDenormalMode(c))
        {
            // TensorFlow rejects subnormal Args bounds only when its kernel is built with DAZ on, which
            // depends on the thread that builds it (Python's eager did; a C API session does not). Either
            // TensorFlow's recorded text, or the outputs the C API recorded for the same inputs.
            ParityCase capi = ParityData.Cases.Single(k => k.Id == c.Id + "_capi");
            Assert.That(capi.EagerDiffers && !capi.IsError, Is.True, "the C API recording of the same inputs ran");
            try
            {
                IReadOnlyList<FloatTensor> accepted = eager.Execute(c.Op, inputs, c.Attrs);
                ParityAssert.Outputs(capi, Live.Named(FakeQuantCatalog.Get(c.Op), accepted));
            }
            catch (TensorFlowException e)
            {
                Assert.That(e.Message, Does.StartWith(c.ErrorMessage!));
            }

            return;
        }

        var ex = Assert.Throws<TensorFlowException>(() => eager.Execute(c.Op, inputs, c.Attrs));
        Assert.Multiple(() =>
        {
            Assert.That(ex!.Code, Is.EqualTo(TfCode.InvalidArgument));
            Assert.That(ex.Message, Does.StartWith(c.ErrorMessage!));
            Assert.That(ex.Stage, Is.EqualTo("TFE_Execute"));
        });
    }

    /// <summary>An Args case rejected only because its bounds are subnormal (min &lt; max before flushing, not after).</summary>
    private static bool DependsOnDenormalMode(ParityCase c) =>
        FakeQuantCatalog.Get(c.Op).HasRangeAttrs && c.Attrs.Min < c.Attrs.Max && c.ErrorMessage?.StartsWith("min has to be smaller than max", StringComparison.Ordinal) == true;

    public static IEnumerable<TestCaseData> LabelledCases() =>
        ParityData.Cases.Where(c => c.Path == "capi" && StaticShapes(c) && c.ErrorType != "ProcessAbort")
            .Select(c => new TestCaseData(c).SetName($"managed-kernel:{c.Id}"));

    /// <summary>Issue #9: the six ops run by our kernels inside TensorFlow (node attr <c>_kernel: "managed"</c>).</summary>
    [TestCaseSource(nameof(LabelledCases))]
    public void LabelledManagedKernelsReproduceTheRecordedCases(ParityCase c)
    {
        TensorFlowRequired.Ensure();
        KernelRegistration r = NativeKernels.Register();
        if (!r.ManagedKernels)
        {
            Assert.Ignore($"Managed kernels are not registered: {r.Details}");
        }

        FakeQuantOpDef op = FakeQuantCatalog.Get(c.Op);
        string? managedError = Live.ManagedError(op, c.OpInputs(), c.Attrs, Live.NodeName(c));
        if (c.IsError || c.EagerDiffers)
        {
            // Our checks off: the kernel inside TensorFlow (or TensorFlow's shape function) reports the error.
            string expected = c.IsError && Stage(c) == "TF_FinishOperation" ? c.ErrorMessage! : managedError ?? c.ErrorMessage!;
            var ex = Assert.Throws<TensorFlowException>(() => RunGraph(c, validate: false, kernelLabel: NativeKernels.ManagedLabel));
            Assert.That(ex!.Message, Does.StartWith(expected));
            return;
        }

        long before = NativeKernels.ComputeCalls;
        ParityAssert.Outputs(c, RunGraph(c, validate: false, kernelLabel: NativeKernels.ManagedLabel));
        Assert.That(NativeKernels.ComputeCalls, Is.GreaterThan(before), "the managed kernel ran inside TensorFlow");
    }
}
