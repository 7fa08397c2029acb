using Google.Protobuf;
using TfFakeQuant.Graph;
using TfFakeQuant.Graph.Proto;
using TfFakeQuant.Ops;
using static TfFakeQuant.Graph.FakeQuantGraphOps;

namespace TfFakeQuant.Tests.Graph;

/// <summary>
/// Our NodeDefs and GraphDefs against TensorFlow's recorded ones (<c>nodedefs.json</c>,
/// <c>graph_gradients.json</c>): byte for byte, node for node, and the static shapes.
/// </summary>
[TestFixture]
[Category("Parity")]
[Category("Graph")]
public class GraphDefParityTests
{
    public static IEnumerable<TestCaseData> NodeDefSamples() =>
        RecordedGraphs.NodeDefs.Select(s => new TestCaseData(s).SetName($"nodedefs:{s.Id}"));

    public static IEnumerable<TestCaseData> GradientSamples() =>
        RecordedGraphs.Gradients.Select(s => new TestCaseData(s).SetName($"graph_gradients:{s.Id}"));

    /// <summary>The recorded sample graph: placeholders gradients, inputs, min, max; fq_grad; fq.</summary>
    private static (GraphBuilder G, GraphNode Grad, GraphNode Fwd) BuildSample(NodeDefSample s)
    {
        var g = new GraphBuilder();
        TensorShape channels = TensorShape.Of(s.InputShape[-1]);
        GraphTensor gradients = g.Placeholder(s.InputShape, "gradients");
        GraphTensor inputs = g.Placeholder(s.InputShape, "inputs");
        GraphTensor min = g.Placeholder(channels, "min");
        GraphTensor max = g.Placeholder(channels, "max");
        var grad = fake_quant_with_min_max_vars_per_channel_gradient(gradients, inputs, min, max, s.NumBits, s.NarrowRange, name: "fq_grad");
        GraphTensor fwd = fake_quant_with_min_max_vars_per_channel(inputs, min, max, num_bits: s.NumBits, narrow_range: s.NarrowRange, name: "fq");
        return (g, grad.backprops_wrt_input.Node, fwd.Node);
    }

    [TestCaseSource(nameof(NodeDefSamples))]
    public void NodeDefBytesEqualTensorFlows(NodeDefSample s)
    {
        var (_, grad, fwd) = BuildSample(s);
        Assert.Multiple(() =>
        {
            Assert.That(Convert.ToHexString(GraphProtos.ToDeterministicBytes(grad.Def.Clone())), Is.EqualTo(Convert.ToHexString(s.Hex("gradient_nodedef_hex"))), "gradient NodeDef");
            Assert.That(Convert.ToHexString(GraphProtos.ToDeterministicBytes(fwd.Def.Clone())), Is.EqualTo(Convert.ToHexString(s.Hex("forward_nodedef_hex"))), "forward NodeDef");
        });
    }

    [TestCaseSource(nameof(NodeDefSamples))]
    public void GraphDefBytesEqualTensorFlows(NodeDefSample s)
    {
        var (g, _, _) = BuildSample(s);
        Assert.That(Convert.ToHexString(g.ToByteArray()), Is.EqualTo(Convert.ToHexString(s.Hex("graphdef_hex"))));
    }

    [TestCaseSource(nameof(NodeDefSamples))]
    public void StaticShapesEqualTensorFlows(NodeDefSample s)
    {
        var (_, grad, fwd) = BuildSample(s);
        TensorShape[] expectedGrad = s.Json.GetProperty("gradient_output_shapes").EnumerateArray().Select(RecordedGraphs.Shape).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(grad.Outputs.Select(o => o.Shape), Is.EqualTo(expectedGrad));
            Assert.That(fwd.Outputs[0].Shape, Is.EqualTo(RecordedGraphs.Shape(s.Json.GetProperty("forward_output_shape"))));
        });
    }

    [TestCaseSource(nameof(NodeDefSamples))]
    public void TheRecordedGraphDefParsesAndReserializesToTheSameBytes(NodeDefSample s)
    {
        byte[] tf = s.Hex("graphdef_hex");
        GraphDef parsed = GraphDefFile.Parse(tf);
        Assert.That(Convert.ToHexString(GraphProtos.ToDeterministicBytes(parsed)), Is.EqualTo(Convert.ToHexString(tf)));
    }

    /// <summary>The sample graphs of graph_gradients.json, built as the recording script built them.</summary>
    internal static (GraphBuilder G, IReadOnlyList<GraphTensor?> Grads) BuildGradientSample(GradientSample s)
    {
        var g = new GraphBuilder();
        GraphTensor x = g.Placeholder(TensorShape.Of(-1L, 16), "x");
        GraphTensor fq;
        List<GraphTensor> xs = [x];
        switch (s.Forward)
        {
            case "per_channel":
            {
                GraphTensor min = g.Placeholder(TensorShape.Of(16L), "min");
                GraphTensor max = g.Placeholder(TensorShape.Of(16L), "max");
                fq = fake_quant_with_min_max_vars_per_channel(x, min, max, num_bits: 4, narrow_range: true, name: "fq");
                xs.AddRange([min, max]);
                break;
            }

            case "vars":
            {
                GraphTensor min = g.Placeholder(TensorShape.Scalar, "min");
                GraphTensor max = g.Placeholder(TensorShape.Scalar, "max");
                fq = fake_quant_with_min_max_vars(x, min, max, name: "fq");
                xs.AddRange([min, max]);
                break;
            }

            case "args":
                fq = fake_quant_with_min_max_args(x, min: -2f, max: 3f, name: "fq");
                break;

            default:
                throw new InvalidDataException($"Unknown forward '{s.Forward}'.");
        }

        GraphTensor? upstream = s.GradYs ? g.Placeholder(TensorShape.Of(-1L, 16), "upstream") : null;
        IReadOnlyList<GraphTensor?> grads = gradients([fq], xs, s.GradYs ? [upstream] : null);
        return (g, grads);
    }

    [TestCaseSource(nameof(GradientSamples))]
    public void GradientGraphEqualsTensorFlowsNodeForNode(GradientSample s)
    {
        var (g, _) = BuildGradientSample(s);
        List<string> diffs = RecordedGraphs.Differences(g.ToGraphDef(), GraphDef.Parser.ParseFrom(s.GraphDefBytes));
        Assert.That(diffs, Is.Empty);
    }

    [TestCaseSource(nameof(GradientSamples))]
    public void GradientGraphBytesEqualTensorFlows(GradientSample s)
    {
        var (g, _) = BuildGradientSample(s);
        Assert.That(Convert.ToHexString(g.ToByteArray()), Is.EqualTo(Convert.ToHexString(s.GraphDefBytes)));
    }

    [TestCaseSource(nameof(GradientSamples))]
    public void GradientTensorNamesEqualTensorFlows(GradientSample s)
    {
        var (_, grads) = BuildGradientSample(s);
        Assert.That(grads.Select(t => t?.Name), Is.EqualTo(s.GradientTensors));
    }

    [TestCaseSource(nameof(GradientSamples))]
    public void TextFormEqualsTensorFlowsUpToAttrOrder(GradientSample s)
    {
        var (g, _) = BuildGradientSample(s);
        Assert.That(SortAttrBlocks(GraphDefFile.ToText(g.ToGraphDef())), Is.EqualTo(SortAttrBlocks(s.GraphDefText)));
    }

    [TestCaseSource(nameof(NodeDefSamples))]
    public void SampleTextFormEqualsTensorFlowsUpToAttrOrder(NodeDefSample s)
    {
        var (g, _, _) = BuildSample(s);
        Assert.That(SortAttrBlocks(GraphDefFile.ToText(g.ToGraphDef())), Is.EqualTo(SortAttrBlocks(s.Json.GetProperty("graphdef_text").GetString()!)));
    }

    [TestCaseSource(nameof(GradientSamples))]
    public void TensorFlowsTextFormParsesToTensorFlowsGraphDef(GradientSample s)
    {
        GraphDef fromText = GraphDefFile.ParseText(s.GraphDefText);
        Assert.That(Convert.ToHexString(GraphProtos.ToDeterministicBytes(fromText)), Is.EqualTo(Convert.ToHexString(s.GraphDefBytes)));
    }

    [TestCaseSource(nameof(NodeDefSamples))]
    public void TensorFlowsSampleTextFormsParseToTensorFlowsBytes(NodeDefSample s)
    {
        Assert.Multiple(() =>
        {
            Assert.That(Convert.ToHexString(GraphProtos.ToDeterministicBytes(GraphDefFile.ParseText(s.Json.GetProperty("graphdef_text").GetString()!))),
                Is.EqualTo(Convert.ToHexString(s.Hex("graphdef_hex"))));
            GraphDef node = GraphDefFile.ParseText("node {\n" + s.Json.GetProperty("forward_nodedef_text").GetString() + "}\n");
            Assert.That(Convert.ToHexString(GraphProtos.ToDeterministicBytes(node.Node[0])), Is.EqualTo(Convert.ToHexString(s.Hex("forward_nodedef_hex"))));
        });
    }

    [TestCaseSource(nameof(GradientSamples))]
    public void OurTextFormRoundTrips(GradientSample s)
    {
        var (g, _) = BuildGradientSample(s);
        Assert.That(GraphDefFile.ParseText(GraphDefFile.ToText(g.ToGraphDef())), Is.EqualTo(g.ToGraphDef()));
    }

    [TestCaseSource(nameof(GradientSamples))]
    public void ImportingTensorFlowsGraphKeepsItsBytesAndNamesNewNodesAfterIt(GradientSample s)
    {
        var g = new GraphBuilder();
        g.Import(GraphDefFile.Parse(s.GraphDefBytes));
        Assert.That(Convert.ToHexString(g.ToByteArray()), Is.EqualTo(Convert.ToHexString(s.GraphDefBytes)));

        GraphTensor y = fake_quant_with_min_max_args(g.GetTensor("x"), name: "fq");
        GraphTensor? dx = gradients([y], [g.GetTensor("x")])[0];
        Assert.Multiple(() =>
        {
            Assert.That(y.Node.Name, Is.EqualTo("fq_1"));
            Assert.That(dx!.Name, Is.EqualTo("gradients/fq_1_grad/FakeQuantWithMinMaxArgsGradient:0"));
            Assert.That(g.GetTensor(s.GradientTensors[0]).Shape, Is.EqualTo(TensorShape.Of(-1L, 16)));
        });

        var prefixed = new GraphBuilder();
        IReadOnlyList<GraphNode> nodes = prefixed.Import(GraphDefFile.Parse(s.GraphDefBytes), "import");
        Assert.That(nodes.Select(n => n.Name), Has.All.StartWith("import/"));
        Assert.That(prefixed.GetNode("import/fq").Def.Input[0], Is.EqualTo("import/x"));
    }

    /// <summary>
    /// Python's text_format prints a map in its own iteration order; ours sorts by key. Sort the
    /// node-level <c>attr { ... }</c> blocks of both by key before comparing.
    /// </summary>
    private static string SortAttrBlocks(string text)
    {
        string[] lines = text.Split('\n');
        var output = new List<string>();
        var blocks = new List<List<string>>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i] == "  attr {")
            {
                var block = new List<string>();
                while (lines[i] != "  }")
                {
                    block.Add(lines[i++]);
                }

                block.Add(lines[i]);
                blocks.Add(block);
                continue;
            }

            if (blocks.Count > 0)
            {
                foreach (List<string> b in blocks.OrderBy(b => b[1], StringComparer.Ordinal))
                {
                    output.AddRange(b);
                }

                blocks.Clear();
            }

            output.Add(lines[i]);
        }

        return string.Join('\n', output);
    }
}
