using System.Globalization;
using System.Text.Json;

namespace TfFakeQuant.Native.Tests;

/// <summary>Live tests of the bridge beyond the recorded cases: guards, GraphDef import, gradients, registration, the any-axis ops.</summary>
[TestFixture]
[Category("Native")]
public class RuntimeLiveTests
{
    [SetUp]
    public void RequireTensorFlow() => TensorFlowRequired.Ensure();

    private static FloatTensor Random(Random rng, TensorShape shape, float scale = 3f, bool quarters = false)
    {
        var t = FloatTensor.Zeros(shape);
        Span<float> s = t.Span;
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = quarters ? rng.Next(-12, 13) / 4f : (float)((rng.NextDouble() * 2 - 1) * scale);
        }

        return t;
    }

    private static (FloatTensor Min, FloatTensor Max) Ranges(Random rng, int channels)
    {
        var min = FloatTensor.Zeros(TensorShape.Of(channels));
        var max = FloatTensor.Zeros(TensorShape.Of(channels));
        for (int i = 0; i < channels; i++)
        {
            min.Span[i] = (float)(-rng.NextDouble() * 4);
            max.Span[i] = (float)(rng.NextDouble() * 4 + 0.1);
        }

        return (min, max);
    }

    private static IReadOnlyList<FloatTensor> Run(NativeGraph graph, IEnumerable<(TfOutput, FloatTensor)> feeds, params TfOutput[] fetches)
    {
        using var session = new NativeSession(graph);
        return session.Run(feeds.ToList(), fetches);
    }

    [Test]
    public void VersionIsTensorFlow2() => Assert.That(TensorFlowRuntime.Version, Does.StartWith("2."));

    // ---------------------------------------------------------------- seeded random shapes

    public static IEnumerable<TestCaseData> RandomCases()
    {
        foreach (FakeQuantOpDef op in FakeQuantCatalog.All)
        {
            for (int seed = 0; seed < 8; seed++)
            {
                yield return new TestCaseData(op.Name, seed).SetName($"random:{op.Name}:{seed}");
            }
        }
    }

    [TestCaseSource(nameof(RandomCases))]
    public void RandomShapesMatchTheManagedKernels(string opName, int seed)
    {
        FakeQuantOpDef op = FakeQuantCatalog.Get(opName);
        var rng = new Random(20261127 + seed);
        int rank = op.Kind == FakeQuantOpKind.VarsPerChannelGradient ? rng.Next(1, 5) : rng.Next(1, 6);
        long[] dims = Enumerable.Range(0, rank).Select(_ => (long)rng.Next(1, 6)).ToArray();
        TensorShape shape = TensorShape.Of(dims);
        int channels = (int)dims[^1];
        (FloatTensor min, FloatTensor max) = op.IsPerChannel ? Ranges(rng, channels) : (FloatTensor.Scalar(-2.5f), FloatTensor.Scalar(3.25f));
        var attrs = new FakeQuantAttrs(rng.Next(2, 17), rng.Next(2) == 1, -2.5f, 3.25f);
        FloatTensor x = Random(rng, shape);
        FloatTensor g = Random(rng, shape, quarters: true); // multiples of 1/4: every partial sum is exact
        FloatTensor[] inputs = op.Kind switch
        {
            FakeQuantOpKind.Args => [x],
            FakeQuantOpKind.ArgsGradient => [g, x],
            FakeQuantOpKind.Vars or FakeQuantOpKind.VarsPerChannel => [x, min, max],
            _ => [g, x, min, max],
        };
        FloatTensor[] managed = FakeQuantOps.Execute(op, inputs, attrs, "fq");

        using var graph = new NativeGraph();
        TfOutput[] ph = op.InputNames.Select((n, i) => graph.Placeholder(n, i % 2 == 0 ? inputs[i].Shape : null)).ToArray();
        IReadOnlyList<TfOutput> outs = graph.AddFakeQuant(op, ph, attrs, "fq");
        IReadOnlyList<FloatTensor> viaSession = Run(graph, ph.Zip(inputs), [.. outs]);
        using var eager = new NativeEager();
        IReadOnlyList<FloatTensor> viaEager = eager.Execute(opName, inputs, attrs);
        for (int i = 0; i < managed.Length; i++)
        {
            Live.BitwiseEqual(viaSession[i], managed[i], $"session output {i}");
            Live.BitwiseEqual(viaEager[i], managed[i], $"eager output {i}");
        }
    }

    // ---------------------------------------------------------------- guards: inputs TensorFlow 2.21 crashes on

    [Test]
    public void RankZeroFedToAPerChannelNodeIsRefusedAndTheProcessLives()
    {
        using var graph = new NativeGraph();
        TfOutput x = graph.Placeholder("x"), min = graph.Placeholder("min"), max = graph.Placeholder("max");
        TfOutput y = graph.AddFakeQuant(FakeQuantCatalog.VarsPerChannel, [x, min, max], name: "fq")[0];
        using var session = new NativeSession(graph);
        var ex = Assert.Throws<InvalidArgumentException>(() =>
            session.Run([(x, FloatTensor.Scalar(1f)), (min, FloatTensor.Vector(-1f)), (max, FloatTensor.Vector(1f))], [y]));
        Assert.That(ex!.Message, Is.EqualTo(Live.RankZeroText));
        IReadOnlyList<FloatTensor> ok = session.Run([(x, FloatTensor.Vector(2f)), (min, FloatTensor.Vector(-6f)), (max, FloatTensor.Vector(6f))], [y]);
        Assert.That(ok[0][0], Is.EqualTo(2.0235295f));
    }

    [Test]
    public void RankZeroBehindOtherOpsIsFoundByTheShapeProbe()
    {
        using var graph = new NativeGraph();
        TfOutput x = graph.Placeholder("x"), min = graph.Placeholder("min"), max = graph.Placeholder("max");
        TfOutput hidden = graph.AddOperation("Identity", "hidden", [x], new Dictionary<string, object>())[0];
        IReadOnlyList<TfOutput> grad = graph.AddFakeQuant(FakeQuantCatalog.VarsPerChannelGradient, [hidden, hidden, min, max], name: "fq_grad");
        using var session = new NativeSession(graph);
        var ex = Assert.Throws<InvalidArgumentException>(() =>
            session.Run([(x, FloatTensor.Scalar(1f)), (min, FloatTensor.Vector(-1f)), (max, FloatTensor.Vector(1f))], [grad[0]]));
        Assert.That(ex!.Message, Is.EqualTo(Live.RankZeroText));
        Assert.That(graph.OperationNames(), Has.Some.EqualTo("fq_grad/tffq_input_shape_1"));
        IReadOnlyList<FloatTensor> ok = session.Run([(x, FloatTensor.Vector(0.5f, 9f)), (min, FloatTensor.Vector(-1f)), (max, FloatTensor.Vector(1f))],
            [grad[0]]);
        Assert.That(ok[0].Shape, Is.EqualTo(TensorShape.Of(2)));
    }

    [Test]
    public void ChainedPerChannelNodesAreCheckedInDependencyOrder()
    {
        using var graph = new NativeGraph();
        TfOutput x = graph.Placeholder("x"), min = graph.Placeholder("min"), max = graph.Placeholder("max");
        TfOutput hidden = graph.AddOperation("Identity", "hidden", [x], new Dictionary<string, object>())[0];
        TfOutput first = graph.AddFakeQuant(FakeQuantCatalog.VarsPerChannel, [hidden, min, max], name: "fq1")[0];
        TfOutput second = graph.AddFakeQuant(FakeQuantCatalog.VarsPerChannel, [first, min, max], name: "fq2")[0];
        using var session = new NativeSession(graph);
        var ex = Assert.Throws<InvalidArgumentException>(() =>
            session.Run([(x, FloatTensor.Scalar(1f)), (min, FloatTensor.Vector(-1f)), (max, FloatTensor.Vector(1f))], [second]));
        Assert.That(ex!.Message, Is.EqualTo(Live.RankZeroText));
        // fq2's input can only be probed after fq1 was checked: two probe runs, then the real one.
        FloatTensor xv = FloatTensor.Vector(0.3f, -2f, 0.9f);
        FloatTensor lo = FloatTensor.Vector(-1f, -1f, -1f), hi = FloatTensor.Vector(1f, 0.5f, 2f);
        FloatTensor r = session.Run([(x, xv), (min, lo), (max, hi)], [second])[0];
        Live.BitwiseEqual(r, FakeQuantOps.PerChannel(FakeQuantOps.PerChannel(xv, lo, hi), lo, hi), "fq2");
    }

    [Test]
    public void UnknownRankGradientsOverRankZeroInputsAreRefusedWhileBuilding()
    {
        using var graph = new NativeGraph();
        TfOutput g = graph.Placeholder("gradients");
        TfOutput x = graph.Placeholder("inputs", TensorShape.Scalar);
        TfOutput min = graph.Placeholder("min", TensorShape.Of(1)), max = graph.Placeholder("max", TensorShape.Of(1));
        var ex = Assert.Throws<ShapeInferenceException>(() => graph.AddFakeQuant(FakeQuantCatalog.VarsPerChannelGradient, [g, x, min, max]));
        Assert.That(ex!.Message, Is.EqualTo(Live.RankZeroText));
    }

    [Test]
    public void EagerRankZeroIsRefused()
    {
        using var eager = new NativeEager();
        var ex = Assert.Throws<InvalidArgumentException>(() =>
            eager.Execute(FakeQuantCatalog.VarsPerChannelName, [FloatTensor.Scalar(1f), FloatTensor.Vector(-1f), FloatTensor.Vector(1f)]));
        Assert.That(ex!.Message, Is.EqualTo(Live.RankZeroText));
    }

    // ---------------------------------------------------------------- GraphDef import

    private static FloatTensor FillShape(Random rng, JsonElement shape, int unknownAs, bool quarters = false) =>
        Random(rng, TensorShape.Of(shape.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Null || d.GetInt64() < 0 ? unknownAs : d.GetInt64()).ToArray()), quarters: quarters);

    public static IEnumerable<TestCaseData> NodeDefSamples()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(ParityData.Root, "nodedefs.json")));
        int i = 0;
        foreach (JsonElement e in doc.RootElement.EnumerateArray())
        {
            yield return new TestCaseData(e.Clone()).SetName($"nodedefs[{i++}]");
        }
    }

    [TestCaseSource(nameof(NodeDefSamples))]
    public void RecordedGraphDefsImportAndRun(JsonElement sample)
    {
        var rng = new Random(7);
        int numBits = sample.GetProperty("num_bits").GetInt32();
        bool narrow = sample.GetProperty("narrow_range").GetBoolean();
        JsonElement shape = sample.GetProperty("input_shape");
        FloatTensor x = FillShape(rng, shape, 3), g = FillShape(rng, shape, 3, quarters: true);
        (FloatTensor min, FloatTensor max) = Ranges(rng, (int)x.Shape[-1]);
        using var graph = new NativeGraph();
        graph.ImportGraphDef(Convert.FromHexString(sample.GetProperty("graphdef_hex").GetString()!));
        TfOutput[] ph = new[] { "gradients", "inputs", "min", "max" }.Select(n => graph.Output(n)).ToArray();
        IReadOnlyList<FloatTensor> r = Run(graph, ph.Zip(new[] { g, x, min, max }),
            graph.Output("fq"), graph.Output("fq_grad", 0), graph.Output("fq_grad", 1), graph.Output("fq_grad", 2));
        FloatTensor y = FakeQuantOps.PerChannel(x, min, max, numBits, narrow);
        (FloatTensor dx, FloatTensor dmin, FloatTensor dmax) = FakeQuantOps.PerChannelGradient(g, x, min, max, numBits, narrow);
        Live.BitwiseEqual(r[0], y, "fq");
        Live.BitwiseEqual(r[1], dx, "fq_grad:0");
        Live.BitwiseEqual(r[2], dmin, "fq_grad:1");
        Live.BitwiseEqual(r[3], dmax, "fq_grad:2");
        Assert.That(graph.Output("fq").StaticShape.ToString(), Is.EqualTo(StaticText(sample.GetProperty("forward_output_shape"))));
    }

    private static string StaticText(JsonElement shape) =>
        "[" + string.Join(",", shape.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Null || d.GetInt64() < 0 ? "?" : d.GetInt64().ToString(CultureInfo.InvariantCulture))) + "]";

    public static IEnumerable<TestCaseData> GradientGraphs()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(ParityData.Root, "graph_gradients.json")));
        int i = 0;
        foreach (JsonElement e in doc.RootElement.EnumerateArray())
        {
            yield return new TestCaseData(e.Clone()).SetName($"graph_gradients[{i++}]:{e.GetProperty("forward").GetString()}");
        }
    }

    [TestCaseSource(nameof(GradientGraphs))]
    public void RecordedGradientGraphsImportAndRun(JsonElement sample)
    {
        var rng = new Random(11);
        string forward = sample.GetProperty("forward").GetString()!;
        bool gradYs = sample.GetProperty("grad_ys").GetBoolean();
        using var graph = new NativeGraph();
        graph.ImportGraphDef(Convert.FromHexString(sample.GetProperty("graphdef_hex").GetString()!));
        var feeds = new List<(TfOutput, FloatTensor)>();
        FloatTensor x = Random(rng, TensorShape.Of(5, 16));
        feeds.Add((graph.Output("x"), x));
        FloatTensor upstream = gradYs ? Random(rng, TensorShape.Of(5, 16), quarters: true) : new FloatTensor(TensorShape.Of(5, 16), Enumerable.Repeat(1f, 80).ToArray());
        if (gradYs)
        {
            feeds.Add((graph.Output("upstream"), upstream));
        }

        FakeQuantOpDef op = forward switch { "per_channel" => FakeQuantCatalog.VarsPerChannel, "vars" => FakeQuantCatalog.Vars, _ => FakeQuantCatalog.Args };
        long numBits = RunGuardAttr(graph, "fq", "num_bits");
        bool narrow = RunGuard.ReadBool(graph.Output("fq").OperationHandle, "narrow_range");
        FloatTensor[] expected;
        if (op == FakeQuantCatalog.Args)
        {
            var attrs = RunGuard.ReadAttrs(graph.Output("fq").OperationHandle, op);
            expected = FakeQuantOps.Execute(FakeQuantCatalog.ArgsGradient, [upstream, x], attrs);
        }
        else
        {
            (FloatTensor min, FloatTensor max) = op.IsPerChannel ? Ranges(rng, 16) : (FloatTensor.Scalar(-1.5f), FloatTensor.Scalar(2f));
            feeds.Add((graph.Output("min"), min));
            feeds.Add((graph.Output("max"), max));
            expected = FakeQuantOps.Execute(FakeQuantCatalog.GradientOf(op)!, [upstream, x, min, max], new FakeQuantAttrs(numBits, narrow));
        }

        TfOutput[] fetches = sample.GetProperty("gradient_tensors").EnumerateArray()
            .Select(t => t.GetString()!.Split(':')).Select(p => graph.Output(p[0], int.Parse(p[1], CultureInfo.InvariantCulture))).ToArray();
        IReadOnlyList<FloatTensor> r = Run(graph, feeds, fetches);
        for (int i = 0; i < fetches.Length; i++)
        {
            Live.BitwiseEqual(r[i], expected[i], fetches[i].ToString());
        }
    }

    private static long RunGuardAttr(NativeGraph graph, string op, string attr) => RunGuard.ReadInt(graph.Output(op).OperationHandle, attr);

    [Test]
    public void OurGraphRoundTripsThroughGraphDefBytes()
    {
        var rng = new Random(3);
        FloatTensor x = Random(rng, TensorShape.Of(4, 3));
        (FloatTensor min, FloatTensor max) = Ranges(rng, 3);
        byte[] bytes;
        using (var built = new NativeGraph())
        {
            TfOutput[] ph = [built.Placeholder("x", x.Shape), built.Placeholder("min", min.Shape), built.Placeholder("max", max.Shape)];
            built.AddFakeQuant(FakeQuantCatalog.VarsPerChannel, ph, new FakeQuantAttrs(5, true), "fq");
            bytes = built.ToGraphDef();
        }

        using var graph = new NativeGraph();
        graph.ImportGraphDef(bytes, "copy");
        IReadOnlyList<FloatTensor> r = Run(graph, [(graph.Output("copy/x"), x), (graph.Output("copy/min"), min), (graph.Output("copy/max"), max)], graph.Output("copy/fq"));
        Live.BitwiseEqual(r[0], FakeQuantOps.PerChannel(x, min, max, 5, true), "copy/fq");
    }

    [Test]
    public void GraphDefBytesFromOurGraphBuilderImportAndRun()
    {
        var rng = new Random(13);
        FloatTensor xv = Random(rng, TensorShape.Of(5, 4));
        (FloatTensor lo, FloatTensor hi) = Ranges(rng, 4);
        var builder = new TfFakeQuant.Graph.GraphBuilder();
        TfFakeQuant.Graph.GraphTensor gx = builder.Placeholder(TensorShape.Of(-1L, 4), "x");
        TfFakeQuant.Graph.GraphTensor gmin = builder.Placeholder(TensorShape.Of(4L), "min");
        TfFakeQuant.Graph.GraphTensor gmax = builder.Placeholder(TensorShape.Of(4L), "max");
        TfFakeQuant.Graph.GraphTensor fq = TfFakeQuant.Graph.FakeQuantGraphOps.fake_quant_with_min_max_vars_per_channel(gx, gmin, gmax, num_bits: 6, name: "fq");
        IReadOnlyList<TfFakeQuant.Graph.GraphTensor?> grads = TfFakeQuant.Graph.FakeQuantGraphOps.gradients([fq], [gx, gmin, gmax]);
        byte[] bytes = builder.ToByteArray();

        using var graph = new NativeGraph();
        graph.ImportGraphDef(bytes);
        TfOutput Tensor(string name)
        {
            string[] parts = name.Split(':');
            return graph.Output(parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture));
        }

        IReadOnlyList<FloatTensor> r = Run(graph, [(graph.Output("x"), xv), (graph.Output("min"), lo), (graph.Output("max"), hi)],
            Tensor(fq.Name), Tensor(grads[0]!.Name), Tensor(grads[1]!.Name), Tensor(grads[2]!.Name));
        var ones = new FloatTensor(xv.Shape, Enumerable.Repeat(1f, xv.Length).ToArray());
        (FloatTensor dx, FloatTensor dmin, FloatTensor dmax) = FakeQuantOps.PerChannelGradient(ones, xv, lo, hi, 6);
        Live.BitwiseEqual(r[0], FakeQuantOps.PerChannel(xv, lo, hi, 6), fq.Name);
        Live.BitwiseEqual(r[1], dx, grads[0]!.Name);
        Live.BitwiseEqual(r[2], dmin, grads[1]!.Name);
        Live.BitwiseEqual(r[3], dmax, grads[2]!.Name);
    }

    // ---------------------------------------------------------------- gradients (AddGradients)

    public static IEnumerable<TestCaseData> TapeCases() =>
        ParityData.Cases.Where(c => c.Path == "tape").Select(c => new TestCaseData(c).SetName($"tape:{c.Id}"));

    private static (NativeGraph Graph, TfOutput X, TfOutput Min, TfOutput Max, TfOutput Up, List<(TfOutput, FloatTensor)> Feeds) TapeGraph(ParityCase c)
    {
        FloatTensor x = c.Input("inputs"), min = c.Input("min"), max = c.Input("max"), up = c.Input("upstream");
        var graph = new NativeGraph();
        TfOutput px = graph.Placeholder("x", x.Shape), pmin = graph.Placeholder("min", min.Shape), pmax = graph.Placeholder("max", max.Shape);
        TfOutput pu = graph.Placeholder("upstream", up.Shape);
        return (graph, px, pmin, pmax, pu, [(px, x), (pmin, min), (pmax, max), (pu, up)]);
    }

    [TestCaseSource(nameof(TapeCases))]
    public void AddGradientsGivesTensorFlowPythonsTapeValues(ParityCase c)
    {
        (NativeGraph graph, TfOutput x, TfOutput min, TfOutput max, TfOutput up, List<(TfOutput, FloatTensor)> feeds) = TapeGraph(c);
        using (graph)
        {
            TfOutput y = graph.AddFakeQuant(FakeQuantCatalog.VarsPerChannel, [x, min, max], c.Attrs, "fq")[0];
            IReadOnlyList<TfOutput?> d = NativeGradients.AddGradients(graph, [y], [x, min, max], [up]);
            Assert.That(d.All(t => t is not null));
            Assert.That(d[0]!.OperationName, Is.EqualTo("gradients/fq_grad/FakeQuantWithMinMaxVarsPerChannelGradient"));
            IReadOnlyList<FloatTensor> r = Run(graph, feeds, y, d[0]!, d[1]!, d[2]!);
            ParityAssert.Outputs(c, new Dictionary<string, FloatTensor> { ["forward"] = r[0], ["d_inputs"] = r[1], ["d_min"] = r[2], ["d_max"] = r[3] });
        }
    }

    [TestCaseSource(nameof(TapeCases))]
    public void AddGradientsSumsSeveralFakeQuantNodes(ParityCase c)
    {
        (NativeGraph graph, TfOutput x, TfOutput min, TfOutput max, TfOutput up, List<(TfOutput, FloatTensor)> feeds) = TapeGraph(c);
        using (graph)
        {
            TfOutput a = graph.AddFakeQuant(FakeQuantCatalog.VarsPerChannel, [x, min, max], c.Attrs, "fq")[0];
            TfOutput b = graph.AddFakeQuant(FakeQuantCatalog.VarsPerChannel, [x, min, max], c.Attrs, "fq")[0]; // named fq_1
            TfOutput y = graph.AddOperation("Add", "sum", [a, b], new Dictionary<string, object>())[0];
            IReadOnlyList<TfOutput?> d = NativeGradients.AddGradients(graph, [y], [x, min, max], [up]);
            Assert.That(graph.OperationNames(), Has.Some.EqualTo("gradients/fq_1_grad/FakeQuantWithMinMaxVarsPerChannelGradient"));
            Assert.That(graph.OperationNames(), Has.Some.StartsWith("gradients/AddN"), "two contributions per input are summed with AddN");
            IReadOnlyList<FloatTensor> r = Run(graph, feeds, d[0]!, d[1]!, d[2]!);
            // Each path carries the whole upstream gradient: every expected value doubles (exactly).
            static FloatTensor Twice(FloatTensor t) => new(t.Shape, t.GetArray().Select(v => v * 2f).ToArray());
            string?[] failures =
            [
                ParityAssert.Compare(c, "d_inputs", r[0], Twice(c.Expected("d_inputs"))),
                ParityAssert.Compare(c, "d_min", r[1], Twice(c.Expected("d_min"))),
                ParityAssert.Compare(c, "d_max", r[2], Twice(c.Expected("d_max"))),
            ];
            Assert.That(failures.Where(f => f is not null), Is.Empty);
        }
    }

    [Test]
    public void AddGradientsThroughAChainOfFakeQuantOps()
    {
        var rng = new Random(5);
        FloatTensor xv = Random(rng, TensorShape.Of(6, 4)), up = Random(rng, TensorShape.Of(6, 4), quarters: true);
        FloatTensor lo = FloatTensor.Scalar(-1.25f), hi = FloatTensor.Scalar(2.5f);
        var argsAttrs = new FakeQuantAttrs(6, false, -2f, 2f);
        var varsAttrs = new FakeQuantAttrs(4, true);
        using var graph = new NativeGraph();
        TfOutput x = graph.Placeholder("x", xv.Shape), min = graph.Placeholder("min", TensorShape.Scalar), max = graph.Placeholder("max", TensorShape.Scalar);
        TfOutput u = graph.Placeholder("upstream", up.Shape);
        TfOutput a = graph.AddFakeQuant(FakeQuantCatalog.Args, [x], argsAttrs, "args")[0];
        TfOutput v = graph.AddFakeQuant(FakeQuantCatalog.Vars, [a, min, max], varsAttrs, "vars")[0];
        IReadOnlyList<TfOutput?> d = NativeGradients.AddGradients(graph, [v], [x, min, max], [u]);
        IReadOnlyList<FloatTensor> r = Run(graph, [(x, xv), (min, lo), (max, hi), (u, up)], d[0]!, d[1]!, d[2]!);

        FloatTensor av = FakeQuantOps.Args(xv, -2f, 2f, 6);
        (FloatTensor dv, FloatTensor dmin, FloatTensor dmax) = FakeQuantOps.VarsGradient(up, av, lo, hi, 4, true);
        FloatTensor dx = FakeQuantOps.ArgsGradient(dv, xv, -2f, 2f, 6);
        Live.BitwiseEqual(r[0], dx, "d x");
        Live.BitwiseEqual(r[1], dmin, "d min");
        Live.BitwiseEqual(r[2], dmax, "d max");
    }

    [Test]
    public void NoGradientFlowsThroughAGradientOp()
    {
        using var graph = new NativeGraph();
        TfOutput g = graph.Placeholder("g", TensorShape.Of(2, 3)), x = graph.Placeholder("x", TensorShape.Of(2, 3));
        TfOutput min = graph.Placeholder("min", TensorShape.Of(3)), max = graph.Placeholder("max", TensorShape.Of(3));
        IReadOnlyList<TfOutput> dg = graph.AddFakeQuant(FakeQuantCatalog.VarsPerChannelGradient, [g, x, min, max]);
        IReadOnlyList<TfOutput?> d = NativeGradients.AddGradients(graph, [dg[0]], [x, min]);
        Assert.That(d, Is.All.Null);
    }

    [Test]
    public void PlainGraphsAreLeftToTensorFlow()
    {
        using var graph = new NativeGraph();
        TfOutput x = graph.Placeholder("x", TensorShape.Of(3));
        TfOutput y = graph.AddOperation("Mul", "square", [x, x], new Dictionary<string, object>())[0];
        IReadOnlyList<TfOutput?> d = NativeGradients.AddGradients(graph, [y], [x]);
        IReadOnlyList<FloatTensor> r = Run(graph, [(x, FloatTensor.Vector(1f, -2f, 0.5f))], d[0]!);
        Assert.That(r[0].GetArray(), Is.EqualTo(new[] { 2f, -4f, 1f }));
    }

    // ---------------------------------------------------------------- registration (issue #9)

    private static KernelRegistration RequireRegistration(bool axis)
    {
        KernelRegistration r = NativeKernels.Register();
        if (axis ? !r.AxisOps : !r.ManagedKernels)
        {
            Assert.Ignore($"Not registered in this process: {r.Details}");
        }

        return r;
    }

    [Test]
    public void RegisteringTwiceIsHarmless()
    {
        KernelRegistration first = NativeKernels.Register();
        KernelRegistration second = NativeKernels.Register();
        Assert.That(second, Is.SameAs(first));
        Assert.That(NativeKernels.OpExists(AxisOps.ForwardName), Is.EqualTo(first.AxisOps));
        if (first.ManagedKernels)
        {
            // A node under the label still runs (two registrations would fail every session containing it).
            using var graph = new NativeGraph();
            TfOutput x = graph.Placeholder("x", TensorShape.Of(1));
            TfOutput y = graph.AddFakeQuant(FakeQuantCatalog.Args, [x], kernelLabel: NativeKernels.ManagedLabel)[0];
            Assert.That(Run(graph, [(x, FloatTensor.Vector(2f))], y)[0][0], Is.EqualTo(2.0235295f));
        }
    }

    [Test]
    public void AFailingManagedKernelReportsTensorFlowsTextAndTheProcessLives()
    {
        RequireRegistration(axis: false);
        using var graph = new NativeGraph();
        TfOutput x = graph.Placeholder("x"), min = graph.Placeholder("min"), max = graph.Placeholder("max");
        TfOutput y = graph.AddFakeQuant(FakeQuantCatalog.VarsPerChannel, [x, min, max], name: "fq", kernelLabel: NativeKernels.ManagedLabel)[0];
        using var session = new NativeSession(graph) { ValidateWithCatalogue = false }; // let the kernel inside TensorFlow see it
        var ex = Assert.Throws<TensorFlowException>(() =>
            session.Run([(x, FloatTensor.Scalar(1f)), (min, FloatTensor.Vector(-1f)), (max, FloatTensor.Vector(1f))], [y]));
        Assert.That(ex!.Message, Does.StartWith(Live.RankZeroText));
        Assert.That(ex.Stage, Is.EqualTo("TF_SessionRun"));
        var ex2 = Assert.Throws<TensorFlowException>(() =>
            session.Run([(x, FloatTensor.Vector(1f, 2f)), (min, FloatTensor.Vector(-1f, 0f)), (max, FloatTensor.Vector(1f))], [y]));
        Assert.That(ex2!.Message, Does.StartWith("max has incorrect size, expected 2 was 1"));
        Assert.That(session.Run([(x, FloatTensor.Vector(2f)), (min, FloatTensor.Vector(-6f)), (max, FloatTensor.Vector(6f))], [y])[0][0], Is.EqualTo(2.0235295f));
    }

    private static FloatTensor MoveAxisLast(FloatTensor t, int axis)
    {
        long[] dims = t.Shape.Dims.ToArray();
        long outer = dims[..axis].Aggregate(1L, (p, d) => p * d), c = dims[axis], inner = dims[(axis + 1)..].Aggregate(1L, (p, d) => p * d);
        var r = FloatTensor.Zeros(AxisOps.MoveAxisLast(t.Shape, axis));
        for (long o = 0; o < outer; o++)
        {
            for (long k = 0; k < c; k++)
            {
                for (long i = 0; i < inner; i++)
                {
                    r.Span[(int)((o * inner + i) * c + k)] = t[(int)((o * c + k) * inner + i)];
                }
            }
        }

        return r;
    }

    private static FloatTensor MoveLastTo(FloatTensor t, TensorShape original, int axis)
    {
        long[] dims = original.Dims.ToArray();
        long outer = dims[..axis].Aggregate(1L, (p, d) => p * d), c = dims[axis], inner = dims[(axis + 1)..].Aggregate(1L, (p, d) => p * d);
        var r = FloatTensor.Zeros(original);
        for (long o = 0; o < outer; o++)
        {
            for (long k = 0; k < c; k++)
            {
                for (long i = 0; i < inner; i++)
                {
                    r.Span[(int)((o * c + k) * inner + i)] = t[(int)((o * inner + i) * c + k)];
                }
            }
        }

        return r;
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(-2)]
    public void AnyAxisOpsAgreeWithTransposingAroundTensorFlowsOp(int axis)
    {
        RequireRegistration(axis: true);
        var rng = new Random(41 + axis);
        TensorShape shape = TensorShape.Of(3, 4, 5);
        int a = axis < 0 ? axis + 3 : axis;
        FloatTensor x = Random(rng, shape), g = Random(rng, shape, quarters: true);
        (FloatTensor min, FloatTensor max) = Ranges(rng, (int)shape[a]);

        using var graph = new NativeGraph();
        TfOutput px = graph.Placeholder("x", shape), pg = graph.Placeholder("g", shape);
        TfOutput pmin = graph.Placeholder("min", min.Shape), pmax = graph.Placeholder("max", max.Shape);
        TfOutput y = NativeKernels.AddPerChannelAxis(graph, px, pmin, pmax, axis, numBits: 7);
        IReadOnlyList<TfOutput> dy = NativeKernels.AddPerChannelAxisGradient(graph, pg, px, pmin, pmax, axis, numBits: 7);
        // TensorFlow's own last-axis ops on the transposed data.
        TensorShape moved = AxisOps.MoveAxisLast(shape, a);
        TfOutput tx = graph.Placeholder("tx", moved), tg = graph.Placeholder("tg", moved);
        TfOutput ty = graph.AddFakeQuant(FakeQuantCatalog.VarsPerChannel, [tx, pmin, pmax], new FakeQuantAttrs(7))[0];
        IReadOnlyList<TfOutput> tdy = graph.AddFakeQuant(FakeQuantCatalog.VarsPerChannelGradient, [tg, tx, pmin, pmax], new FakeQuantAttrs(7));
        IReadOnlyList<FloatTensor> r = Run(graph,
            [(px, x), (pg, g), (pmin, min), (pmax, max), (tx, MoveAxisLast(x, a)), (tg, MoveAxisLast(g, a))],
            y, dy[0], dy[1], dy[2], ty, tdy[0], tdy[1], tdy[2]);
        Live.BitwiseEqual(r[0], MoveLastTo(r[4], shape, a), "forward");
        Live.BitwiseEqual(r[1], MoveLastTo(r[5], shape, a), "backprops_wrt_input");
        Live.BitwiseEqual(r[2], r[6], "backprop_wrt_min");
        Live.BitwiseEqual(r[3], r[7], "backprop_wrt_max");
    }

    [Test]
    public void AnyAxisOpsRefuseBadAxesAndRankZero()
    {
        RequireRegistration(axis: true);
        using var graph = new NativeGraph();
        TfOutput x = graph.Placeholder("x", TensorShape.Of(2, 3)), min = graph.Placeholder("min", TensorShape.Of(2)), max = graph.Placeholder("max", TensorShape.Of(2));
        var bad = Assert.Throws<ShapeInferenceException>(() => NativeKernels.AddPerChannelAxis(graph, x, min, max, axis: 2));
        Assert.That(bad!.Message, Does.Contain("axis 2 is out of range"));
        TfOutput any = graph.Placeholder("any");
        TfOutput y = NativeKernels.AddPerChannelAxis(graph, any, min, max, axis: 0);
        using var session = new NativeSession(graph);
        var ex = Assert.Throws<InvalidArgumentException>(() => session.Run([(any, FloatTensor.Scalar(1f)), (min, FloatTensor.Vector(0f, 0f)), (max, FloatTensor.Vector(1f, 1f))], [y]));
        Assert.That(ex!.Message, Is.EqualTo(Live.RankZeroText));
    }

    [Test]
    public void AddGradientsKnowsTheAnyAxisOp()
    {
        RequireRegistration(axis: true);
        var rng = new Random(9);
        TensorShape shape = TensorShape.Of(2, 3, 4);
        FloatTensor xv = Random(rng, shape), up = Random(rng, shape, quarters: true);
        (FloatTensor minv, FloatTensor maxv) = Ranges(rng, 3);
        using var graph = new NativeGraph();
        TfOutput x = graph.Placeholder("x", shape), min = graph.Placeholder("min", minv.Shape), max = graph.Placeholder("max", maxv.Shape);
        TfOutput u = graph.Placeholder("u", shape);
        TfOutput y = NativeKernels.AddPerChannelAxis(graph, x, min, max, axis: 1, name: "fq");
        IReadOnlyList<TfOutput?> d = NativeGradients.AddGradients(graph, [y], [x, min, max], [u]);
        Assert.That(d[0]!.OperationName, Is.EqualTo($"gradients/fq_grad/{AxisOps.GradientName}"));
        IReadOnlyList<FloatTensor> r = Run(graph, [(x, xv), (min, minv), (max, maxv), (u, up)], d[0]!, d[1]!, d[2]!);
        var expectedDx = FloatTensor.Zeros(shape);
        var expectedMin = FloatTensor.Zeros(minv.Shape);
        var expectedMax = FloatTensor.Zeros(minv.Shape);
        AxisOps.Gradient(up.Span, xv.Span, shape, 1, minv.Span, maxv.Span, 8, false, expectedDx.Span, expectedMin.Span, expectedMax.Span);
        Live.BitwiseEqual(r[0], expectedDx, "d x");
        Live.BitwiseEqual(r[1], expectedMin, "d min");
        Live.BitwiseEqual(r[2], expectedMax, "d max");
    }
}
