using TfFakeQuant.Graph;
using TfFakeQuant.Graph.Proto;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Tests.Reliability;

/// <summary>
/// Graph-mode properties over the same random calls as the op-level suite: a one-node graph whose
/// inputs are placeholders of unknown shape (so no shape function can object) runs through
/// <see cref="GraphExecutor"/> — from the builder, and from its GraphDef bytes read back — to
/// exactly the op level's bits, or fails with the kernel check SPEC.md puts first (the node name
/// in ArgsGradient's text). Mutated GraphDef bytes are either read or refused with
/// <see cref="InvalidDataException"/>, and a graph that was read is either run or refused with a
/// documented exception.
/// </summary>
public class GraphProperties
{
    [Test]
    public void GraphRunsMatchTheOpLevelBitsAndTexts() =>
        Prop.ForAll(Generators.OpCallGen, CheckGraph, iterations: 400, stream: 3);

    private static void CheckGraph(Generators.OpCall call)
    {
        var b = new GraphBuilder();
        var feeds = new Dictionary<string, FloatTensor>(StringComparer.Ordinal);
        var inputs = new List<GraphTensor>();
        for (int i = 0; i < call.Inputs.Length; i++)
        {
            GraphTensor p = b.Placeholder(null, call.Op.InputNames[i]);
            feeds[p.Name] = call.Inputs[i];
            inputs.Add(p);
        }

        const string node = "fq";
        b.AddOperation(call.Op.Name, inputs, call.Attrs.ToDictionary(call.Op), node);
        string? expected = CheckOrderModel.FirstFailure(call.Op.Kind, call.Attrs.NumBits, call.Attrs.Min, call.Attrs.Max,
            call.Inputs.Select(t => t.Shape.Dims.ToArray()).ToList(), node);
        FloatTensor[]? direct = expected is null ? FakeQuantOps.Execute(call.Op, call.Inputs, call.Attrs, node) : null;
        string[] fetches = Enumerable.Range(0, call.Op.OutputNames.Count).Select(k => $"{node}:{k}").ToArray();

        foreach (GraphExecutor exec in new[] { new GraphExecutor(b), new GraphExecutor(GraphDefFile.Parse(b.ToByteArray())) })
        {
            if (expected is not null)
            {
                var ex = Expect.Throws<InvalidArgumentException>(() => exec.Run(feeds, fetches), expected, "graph run");
                Expect.True(ex.Message == expected, $"graph text \"{ex.Message}\", SPEC order predicts \"{expected}\"");
                continue;
            }

            FloatTensor[] outs = exec.Run(feeds, fetches);
            for (int k = 0; k < outs.Length; k++)
            {
                Expect.True(outs[k].Shape.Equals(direct![k].Shape), $"output {k} shape {outs[k].Shape} vs {direct[k].Shape}");
                Expect.SameBits(outs[k].Span, direct[k].Span, $"graph output {k}");
            }
        }
    }

    [Test]
    public void MutatedGraphDefBytesAreReadOrRefusedCleanly()
    {
        var rng = new Random(20261127);
        var b = new GraphBuilder();
        GraphTensor x = b.Placeholder(TensorShape.Of(-1L, 3), "x");
        GraphTensor y = FakeQuantGraphOps.fake_quant_with_min_max_vars_per_channel(x, b.Constant(FloatTensor.Vector(-1f, -2f, -3f)),
            b.Constant(FloatTensor.Vector(1f, 2f, 3f)), name: "fq");
        FakeQuantGraphOps.gradients([y], [x]);
        byte[] bytes = b.ToByteArray();
        int read = 0, refused = 0, ran = 0;
        for (int i = 0; i < 3000; i++)
        {
            byte[] m = (byte[])bytes.Clone();
            int flips = rng.Next(1, 4);
            for (int k = 0; k < flips; k++)
            {
                m[rng.Next(m.Length)] ^= (byte)(1 << rng.Next(8));
            }

            if (rng.Next(4) == 0)
            {
                Array.Resize(ref m, rng.Next(m.Length));
            }

            GraphDef g;
            try
            {
                g = GraphDefFile.Parse(m);
                read++;
            }
            catch (InvalidDataException)
            {
                refused++;
                continue;
            }

            try
            {
                var exec = new GraphExecutor(g);
                exec.Run(new Dictionary<string, FloatTensor> { ["x"] = new(TensorShape.Of(2, 3), [-4f, 0f, 0.5f, 1f, 2.5f, 9f]) }, "fq:0");
                ran++;
            }
            catch (Exception ex) when (ex is InvalidDataException or NotSupportedException or ShapeInferenceException or InvalidArgumentException
                or KeyNotFoundException or ArgumentException)
            {
                // Documented refusals of a damaged graph.
            }
        }

        Assert.That(read, Is.GreaterThan(100), "some mutants are still GraphDefs");
        Assert.That(refused, Is.GreaterThan(100), "some mutants are refused by the reader");
        Assert.That(ran, Is.GreaterThan(10), "some mutants still run");
    }
}
