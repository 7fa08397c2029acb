using Google.Protobuf;
using TfFakeQuant.Graph;
using TfFakeQuant.Graph.Proto;
using TfFakeQuant.Ops;
using static TfFakeQuant.Graph.FakeQuantGraphOps;

namespace TfFakeQuant.Tests.Graph;

/// <summary>Executor errors, file round trips and the GraphDef reader on malformed bytes.</summary>
[TestFixture]
[Category("Graph")]
public class GraphExecutorTests
{
    private static (GraphBuilder G, GraphTensor Y) PerChannelGraph()
    {
        var g = new GraphBuilder();
        GraphTensor x = g.Placeholder(TensorShape.Of(-1L, 3), "x");
        GraphTensor min = g.Placeholder(TensorShape.Of(3L), "min");
        GraphTensor max = g.Placeholder(TensorShape.Of(3L), "max");
        return (g, fake_quant_with_min_max_vars_per_channel(x, min, max, name: "fq"));
    }

    private static Dictionary<string, FloatTensor> Feeds(FloatTensor? x = null) => new()
    {
        ["x:0"] = x ?? new FloatTensor(TensorShape.Of(2L, 3), [-7f, 0.3f, 2f, 1f, -1f, 6f]),
        ["min"] = FloatTensor.Vector(-6f, -1f, 0f),
        ["max"] = FloatTensor.Vector(6f, 1f, 5f),
    };

    [Test]
    public void RunsPerChannelLikeTheOpLevelFunction()
    {
        var (g, y) = PerChannelGraph();
        Dictionary<string, FloatTensor> feeds = Feeds();
        FloatTensor r = new GraphExecutor(g).Run(feeds, y.Name);
        FloatTensor expected = FakeQuantOps.PerChannel(feeds["x:0"], feeds["min"], feeds["max"]);
        Assert.That(r.GetArray().Select(BitConverter.SingleToInt32Bits), Is.EqualTo(expected.GetArray().Select(BitConverter.SingleToInt32Bits)));
    }

    [Test]
    public void AMissingFeedGivesThePlaceholderText()
    {
        var (g, y) = PerChannelGraph();
        Dictionary<string, FloatTensor> feeds = Feeds();
        feeds.Remove("min");
        var ex = Assert.Throws<InvalidArgumentException>(() => new GraphExecutor(g).Run(feeds, y.Name));
        Assert.That(ex!.Message, Is.EqualTo("You must feed a value for placeholder tensor 'min' with dtype float and shape [3]"));
    }

    [Test]
    public void AFedShapeTheStaticShapeRejectsIsAnError()
    {
        var (g, y) = PerChannelGraph();
        Dictionary<string, FloatTensor> feeds = Feeds(new FloatTensor(TensorShape.Of(3L, 2), new float[6]));
        var ex = Assert.Throws<InvalidArgumentException>(() => new GraphExecutor(g).Run(feeds, y.Name));
        Assert.That(ex!.Message, Is.EqualTo("Cannot feed value of shape (3, 2) for Tensor x:0, which has shape (None, 3)"));
    }

    [Test]
    public void EveryNeededKernelIsConstructedBeforeAnyCompute()
    {
        // TensorFlow's session builds all kernels of the pruned graph first: the Args node's bad
        // attrs win over the per-channel node's size check and over a missing feed upstream.
        var g = new GraphBuilder();
        GraphTensor y = fake_quant_with_min_max_vars_per_channel(g.Placeholder(name: "x"), g.Placeholder(name: "min"), g.Placeholder(name: "max"), name: "fq");
        GraphTensor z = fake_quant_with_min_max_args(y, min: 1f, max: 1f, num_bits: 40, name: "args");
        var exec = new GraphExecutor(g);
        Dictionary<string, FloatTensor> feeds = Feeds();
        feeds["min"] = FloatTensor.Vector(-6f, -1f);
        Assert.That(Assert.Throws<InvalidArgumentException>(() => exec.Run(feeds, z.Name))!.Message,
            Is.EqualTo("min has to be smaller than max, was: 1 >= 1"));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => exec.Run(new Dictionary<string, FloatTensor>(), z.Name))!.Message,
            Is.EqualTo("min has to be smaller than max, was: 1 >= 1"));

        // Not needed by the fetch (pruned): not built, so the per-channel node's own error shows.
        Assert.That(Assert.Throws<InvalidArgumentException>(() => exec.Run(feeds, y.Name))!.Message,
            Is.EqualTo("min has incorrect size, expected 3 was 2"));

        // Fed: the Args node's input is not computed, but the node itself still is.
        var fedY = new Dictionary<string, FloatTensor> { [y.Name] = new FloatTensor(TensorShape.Of(2L, 3), new float[6]) };
        Assert.That(Assert.Throws<InvalidArgumentException>(() => exec.Run(fedY, z.Name))!.Message,
            Is.EqualTo("min has to be smaller than max, was: 1 >= 1"));
    }

    [Test]
    public void UnknownNamesAreReported()
    {
        var (g, _) = PerChannelGraph();
        var exec = new GraphExecutor(g);
        Assert.Throws<KeyNotFoundException>(() => exec.Run(Feeds(), "nope:0"));
        Assert.Throws<KeyNotFoundException>(() => exec.Run(Feeds(), "fq:1"));
    }

    [Test]
    public void UnknownOpsAreRejectedAtConstruction()
    {
        GraphDef def = PerChannelGraph().G.ToGraphDef();
        def.Node.Add(new NodeDef { Name = "m", Op = "MatMul", Input = { "fq", "fq" } });
        var ex = Assert.Throws<NotSupportedException>(() => _ = new GraphExecutor(def));
        Assert.That(ex!.Message, Does.StartWith("Op type not registered 'MatMul'"));
    }

    [Test]
    public void StructuralErrorsAreInvalidData()
    {
        GraphDef missing = PerChannelGraph().G.ToGraphDef();
        missing.Node.Add(new NodeDef { Name = "i", Op = "Identity", Input = { "ghost" } });
        Assert.Throws<InvalidDataException>(() => _ = new GraphExecutor(missing));

        var cycle = new GraphDef();
        cycle.Node.Add(new NodeDef { Name = "a", Op = "Identity", Input = { "b" } });
        cycle.Node.Add(new NodeDef { Name = "b", Op = "Identity", Input = { "a" } });
        Assert.Throws<InvalidDataException>(() => _ = new GraphExecutor(cycle));

        GraphDef dup = PerChannelGraph().G.ToGraphDef();
        dup.Node.Add(dup.Node[0].Clone());
        Assert.Throws<InvalidDataException>(() => _ = new GraphExecutor(dup));

        GraphDef badOutput = PerChannelGraph().G.ToGraphDef();
        badOutput.Node.Add(new NodeDef { Name = "i", Op = "Identity", Input = { "fq:3" } });
        Assert.Throws<InvalidDataException>(() => _ = new GraphExecutor(badOutput));
    }

    [Test]
    public void ImportedGraphsAreShapeCheckedAtConstruction()
    {
        GraphDef def = PerChannelGraph().G.ToGraphDef();
        def.Node[1].Attr["shape"] = new AttrValue { Shape = GraphProtos.ToProto(TensorShape.Of(4L)) };
        var ex = Assert.Throws<ShapeInferenceException>(() => _ = new GraphExecutor(def));
        Assert.That(ex!.Message, Is.EqualTo("Dimensions must be equal, but are 3 and 4"));
    }

    [Test]
    public void MissingFakeQuantAttrsTakeTensorFlowsDefaults()
    {
        GraphDef def = PerChannelGraph().G.ToGraphDef();
        def.Node[3].Attr.Clear();
        FloatTensor r = new GraphExecutor(def).Run(Feeds(), "fq:0");
        Dictionary<string, FloatTensor> feeds = Feeds();
        Assert.That(r.GetArray(), Is.EqualTo(FakeQuantOps.PerChannel(feeds["x:0"], feeds["min"], feeds["max"]).GetArray()));
    }

    [TestCase(DataType.DtFloat, TestName = "HugeFloatConstIsARunError")]
    [TestCase(DataType.DtInt32, TestName = "HugeInt32ConstIsARunError")]
    public void HugeConstantsAreCleanRunErrors(DataType dtype)
    {
        var shape = new TensorShapeProto();
        foreach (long d in new[] { 1L << 40, 1L << 40 })
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        }

        var def = new GraphDef();
        def.Node.Add(new NodeDef
        {
            Name = "c",
            Op = "Const",
            Attr =
            {
                ["dtype"] = new AttrValue { Type = dtype },
                ["value"] = new AttrValue { Tensor = new TensorProto { Dtype = dtype, TensorShape = shape } },
            },
        });
        def.Node.Add(new NodeDef { Name = "i", Op = "Identity", Input = { "c" } });
        var exec = new GraphExecutor(def);
        Assert.Throws<InvalidArgumentException>(() => exec.Run(new Dictionary<string, FloatTensor>(), "c"));
    }

    [Test]
    public void ControlInputsRunFirst()
    {
        var (g, _) = PerChannelGraph();
        GraphDef def = g.ToGraphDef();
        def.Node.Add(new NodeDef { Name = "after", Op = "Identity", Input = { "min", "^fq" } });
        var exec = new GraphExecutor(def);
        Dictionary<string, FloatTensor> feeds = Feeds();
        Assert.That(exec.Run(feeds, "after").GetArray(), Is.EqualTo(feeds["min"].GetArray()));
        feeds.Remove("x:0");
        var ex = Assert.Throws<InvalidArgumentException>(() => exec.Run(feeds, "after"));
        Assert.That(ex!.Message, Does.StartWith("You must feed a value for placeholder tensor 'x'"));
    }

    [Test]
    public void FilesRoundTripInBothForms()
    {
        var (g, _) = PerChannelGraph();
        gradients([g.GetTensor("fq")], [g.GetTensor("x"), g.GetTensor("min"), g.GetTensor("max")]);
        string dir = Path.Combine(Path.GetTempPath(), "tffq-graph-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string pb = Path.Combine(dir, "g.pb"), txt = Path.Combine(dir, "g.pbtxt");
            GraphDefFile.Write(g.ToGraphDef(), pb);
            GraphDefFile.Write(g.ToGraphDef(), txt);
            Assert.That(File.ReadAllBytes(pb), Is.EqualTo(g.ToByteArray()));
            Assert.That(GraphDefFile.Read(pb), Is.EqualTo(g.ToGraphDef()));
            string text = File.ReadAllText(txt);
            Assert.That(text, Does.Contain("name: \"gradients/fq_grad/FakeQuantWithMinMaxVarsPerChannelGradient\""));
            Assert.That(text, Does.Contain("      list {\n        s: \"loc:@fq\"\n      }"));
            Assert.That(text, Does.EndWith("versions {\n  producer: 2474\n}\n"));
            Assert.That(GraphDefFile.Read(txt), Is.EqualTo(g.ToGraphDef()));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void TheReaderRejectsMalformedBytesWithInvalidData()
    {
        byte[] good = PerChannelGraph().G.ToByteArray();
        var rng = new Random(5);
        int rejected = 0;
        for (int iter = 0; iter < 3000; iter++)
        {
            byte[] bytes = (byte[])good.Clone();
            switch (iter % 3)
            {
                case 0:
                    bytes = bytes[..rng.Next(bytes.Length)];
                    break;
                case 1:
                    for (int k = 0; k < 1 + rng.Next(4); k++)
                    {
                        bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
                    }

                    break;
                default:
                    bytes = new byte[rng.Next(64)];
                    rng.NextBytes(bytes);
                    break;
            }

            GraphDef parsed;
            try
            {
                parsed = GraphDefFile.Parse(bytes);
            }
            catch (InvalidDataException ex)
            {
                Assert.That(ex.InnerException, Is.InstanceOf<InvalidProtocolBufferException>());
                rejected++;
                continue;
            }

            // Whatever parses either builds an executor or fails with a documented exception.
            try
            {
                _ = new GraphExecutor(parsed);
            }
            catch (Exception ex) when (ex is InvalidDataException or NotSupportedException or ShapeInferenceException)
            {
            }
        }

        Assert.That(rejected, Is.GreaterThan(100));
    }

    [TestCase("node { name: \"x\" op: ", TestName = "TextReaderRejects_MissingValue")]
    [TestCase("node { name: \"x\"", TestName = "TextReaderRejects_MissingBrace")]
    [TestCase("node { colour: \"red\" }", TestName = "TextReaderRejects_UnknownField")]
    [TestCase("node { name: \"x }", TestName = "TextReaderRejects_UnterminatedString")]
    [TestCase("versions { producer: 99999999999 }", TestName = "TextReaderRejects_Int32Overflow")]
    [TestCase("node { attr { key: \"a\" value { b: maybe } } }", TestName = "TextReaderRejects_BadBool")]
    public void TheTextReaderRejectsMalformedText(string text) =>
        Assert.Throws<InvalidDataException>(() => GraphDefFile.ParseText(text));

    [Test]
    public void TheTextReaderRejectsDeepNesting() =>
        Assert.Throws<InvalidDataException>(() => GraphDefFile.ParseText(string.Concat(Enumerable.Repeat("node {", 5000))));

    [Test]
    public void TheTextReaderAcceptsCommentsListsAndEscapes()
    {
        GraphDef g = GraphDefFile.ParseText(
            "# a comment\nnode < name: 'a\\101' op: \"Const\" attr { key: \"value\" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 2 } } float_val: [1.5, -inf] } } } >\n");
        Assert.Multiple(() =>
        {
            Assert.That(g.Node[0].Name, Is.EqualTo("aA"));
            Assert.That(g.Node[0].Attr["value"].Tensor.FloatVal, Is.EqualTo(new[] { 1.5f, float.NegativeInfinity }));
        });
    }

    [Test]
    public void DeeplyNestedBytesAreRejectedNotOverflowed()
    {
        // 10,000 nested NodeDef.experimental_type.args messages: past the parser's recursion limit.
        var inner = new List<byte>();
        for (int i = 0; i < 10_000; i++)
        {
            var outer = new List<byte> { 0x12 };
            WriteVarint(outer, inner.Count);
            outer.AddRange(inner);
            inner = outer;
        }

        var node = new List<byte> { 0x3A };
        WriteVarint(node, inner.Count);
        node.AddRange(inner);
        var graph = new List<byte> { 0x0A };
        WriteVarint(graph, node.Count);
        graph.AddRange(node);
        var ex = Assert.Throws<InvalidDataException>(() => GraphDefFile.Parse(graph.ToArray()));
        Assert.That(ex!.InnerException, Is.InstanceOf<InvalidProtocolBufferException>());
    }

    private static void WriteVarint(List<byte> b, int v)
    {
        uint u = (uint)v;
        while (u >= 0x80)
        {
            b.Add((byte)(u | 0x80));
            u >>= 7;
        }

        b.Add((byte)u);
    }
}
