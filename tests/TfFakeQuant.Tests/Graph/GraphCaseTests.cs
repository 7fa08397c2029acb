using TfFakeQuant.Graph;
using TfFakeQuant.Graph.Proto;
using TfFakeQuant.Ops;
using TfFakeQuant.Tests.Parity;

namespace TfFakeQuant.Tests.Graph;

/// <summary>
/// Every recorded <c>graph</c> case end to end: placeholders with the data's static shapes, the
/// op added through the graph builder (construction errors = TensorFlow's <c>ValueError</c>),
/// the GraphDef serialized, parsed back and run by the managed executor (run errors =
/// <c>InvalidArgumentError</c>), outputs compared by FORMAT.md's rules. Also the C API cases:
/// <c>finish_operation</c> errors at construction, and the static output shapes TensorFlow
/// inferred for every other C API case. One test per recorded case, named by its id.
/// </summary>
[TestFixture]
[Category("Parity")]
[Category("Graph")]
public class GraphCaseTests
{
    public static IEnumerable<TestCaseData> GraphCases() =>
        ParityData.Cases.Where(c => c.Path == "graph").Select(c => new TestCaseData(c).SetName($"graph:{c.Id}"));

    public static IEnumerable<TestCaseData> CapiConstructionCases() =>
        ParityData.Cases.Where(c => c.Path == "capi" && (IsFinishOperationError(c) || c.Json.TryGetProperty("graph_output_shapes", out _)))
            .Select(c => new TestCaseData(c).SetName($"capi_construction:{c.Id}"));

    private static bool IsFinishOperationError(ParityCase c) =>
        c.IsError && c.Json.GetProperty("expect").GetProperty("error").TryGetProperty("stage", out var stage) && stage.GetString() == "finish_operation";

    [TestCaseSource(nameof(GraphCases))]
    public void RunsLikeTensorFlowsSession(ParityCase c)
    {
        FakeQuantOpDef op = FakeQuantCatalog.Get(c.Op);
        FloatTensor[] data = c.OpInputs();
        var g = new GraphBuilder();
        GraphTensor[] placeholders = op.InputNames.Select((n, i) => g.Placeholder(data[i].Shape, n)).ToArray();

        IReadOnlyList<GraphTensor> outputs;
        if (c.ErrorType == "ValueError")
        {
            var ex = Assert.Throws<ShapeInferenceException>(() => g.AddOperation(op.Name, placeholders, c.Attrs.ToDictionary(op)));
            Assert.That(ex!.Message, Is.EqualTo(c.ErrorMessage));
            string? raw = c.Json.GetProperty("expect").GetProperty("error").TryGetProperty("raw", out var r) ? r.GetString() : null;
            if (raw is not null)
            {
                Assert.That(ex.RawMessage, Is.EqualTo(raw));
            }

            Assert.That(g.Nodes, Has.Count.EqualTo(placeholders.Length), "a failed node is not added");
            return;
        }

        outputs = g.AddOperation(op.Name, placeholders, c.Attrs.ToDictionary(op));

        // Through the wire format, as a graph recorded elsewhere would arrive.
        var executor = new GraphExecutor(GraphDefFile.Parse(g.ToByteArray()));
        var feeds = op.InputNames.Select((n, i) => (n, data[i])).ToDictionary(p => p.n, p => p.Item2);
        string[] fetches = outputs.Select(o => o.Name).ToArray();
        if (c.IsError)
        {
            Assert.That(c.ErrorType, Is.EqualTo("InvalidArgumentError"));
            var ex = Assert.Throws<InvalidArgumentException>(() => executor.Run(feeds, fetches));
            Assert.That(ex, Is.Not.InstanceOf<ShapeInferenceException>());
            Assert.That(ex!.Message, Is.EqualTo(c.ErrorMessage));
            return;
        }

        FloatTensor[] results = executor.Run(feeds, fetches);
        ParityAssert.Outputs(c, op.OutputNames.Zip(results).ToDictionary(p => p.First, p => p.Second));
    }

    [TestCaseSource(nameof(CapiConstructionCases))]
    public void ConstructsLikeTensorFlowsCApi(ParityCase c)
    {
        FakeQuantOpDef op = FakeQuantCatalog.Get(c.Op);
        bool staticShapes = c.Json.GetProperty("static_shapes").GetBoolean();
        var g = new GraphBuilder();
        GraphTensor[] placeholders = op.InputNames
            .Select(n => g.Placeholder(staticShapes ? c.Input(n).Shape : TensorShape.Unknown, n)).ToArray();
        if (IsFinishOperationError(c))
        {
            var ex = Assert.Throws<ShapeInferenceException>(() => g.AddOperation(op.Name, placeholders, c.Attrs.ToDictionary(op), "fq"));
            Assert.That(ex!.Message, Is.EqualTo(c.ErrorMessage));
            if (c.Json.GetProperty("expect").GetProperty("error").TryGetProperty("raw", out var raw))
            {
                Assert.That(ex.RawMessage, Is.EqualTo(raw.GetString()));
            }

            return;
        }

        IReadOnlyList<GraphTensor> outputs = g.AddOperation(op.Name, placeholders, c.Attrs.ToDictionary(op), "fq");
        TensorShape[] expected = c.Json.GetProperty("graph_output_shapes").EnumerateArray().Select(RecordedGraphs.Shape).ToArray();
        Assert.That(outputs.Select(o => o.Shape), Is.EqualTo(expected));
    }

    [Test]
    public void EveryRecordedGraphCaseIsChecked()
    {
        Assert.Multiple(() =>
        {
            Assert.That(GraphCases().Count(), Is.EqualTo(138));
            Assert.That(ParityData.Cases.Count(IsFinishOperationError), Is.EqualTo(20));
        });
    }

    /// <summary>The recorded gradient graphs, as TensorFlow wrote them, run by the executor.</summary>
    [TestCaseSource(typeof(GraphDefParityTests), nameof(GraphDefParityTests.GradientSamples))]
    public void RecordedGradientGraphRuns(GradientSample s)
    {
        var executor = new GraphExecutor(GraphDefFile.Parse(s.GraphDefBytes));
        var rng = new Random(20261127);
        FloatTensor x = Random(rng, 5, 16);
        var feeds = new Dictionary<string, FloatTensor> { ["x"] = x };
        FloatTensor upstream = s.GradYs ? Random(rng, 5, 16) : new FloatTensor(TensorShape.Of(5L, 16), Enumerable.Repeat(1f, 80).ToArray());
        if (s.GradYs)
        {
            feeds["upstream"] = upstream;
        }

        FloatTensor[] expected;
        switch (s.Forward)
        {
            case "per_channel":
            {
                FloatTensor min = FloatTensor.Vector(Enumerable.Range(0, 16).Select(i => -1f - (i * 0.125f)).ToArray());
                FloatTensor max = FloatTensor.Vector(Enumerable.Range(0, 16).Select(i => 0.5f + (i * 0.25f)).ToArray());
                feeds["min"] = min;
                feeds["max"] = max;
                var r = FakeQuantOps.PerChannelGradient(upstream, x, min, max, 4, true);
                expected = [r.BackpropsWrtInput, r.BackpropWrtMin, r.BackpropWrtMax];
                break;
            }

            case "vars":
            {
                FloatTensor min = FloatTensor.Scalar(-1.5f), max = FloatTensor.Scalar(1.25f);
                feeds["min"] = min;
                feeds["max"] = max;
                var r = FakeQuantOps.VarsGradient(upstream, x, min, max, 8, false);
                expected = [r.BackpropsWrtInput, r.BackpropWrtMin, r.BackpropWrtMax];
                break;
            }

            default:
                expected = [FakeQuantOps.ArgsGradient(upstream, x, -2f, 3f, 8, false)];
                break;
        }

        FloatTensor[] actual = executor.Run(feeds, s.GradientTensors);
        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.That(actual[i].Shape, Is.EqualTo(expected[i].Shape));
            Assert.That(actual[i].GetArray().Select(BitConverter.SingleToInt32Bits), Is.EqualTo(expected[i].GetArray().Select(BitConverter.SingleToInt32Bits)), $"output {i}");
        }

        // Some elements fall outside the range, so the gradients are not a copy of upstream.
        Assert.That(actual[0].GetArray().Zip(upstream.GetArray()).Any(p => p.First != p.Second), Is.True);
    }

    private static FloatTensor Random(Random rng, int rows, int cols)
    {
        var data = new float[rows * cols];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)((rng.NextDouble() * 8) - 4);
        }

        return new FloatTensor(TensorShape.Of((long)rows, cols), data);
    }
}
