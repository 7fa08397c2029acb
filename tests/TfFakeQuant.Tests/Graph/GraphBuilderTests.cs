using TfFakeQuant.Graph;
using TfFakeQuant.Graph.Proto;
using TfFakeQuant.Ops;
using static TfFakeQuant.Graph.FakeQuantGraphOps;

namespace TfFakeQuant.Tests.Graph;

/// <summary>Graph builder behaviour: TensorFlow's naming, scopes, attrs, gradients, errors.</summary>
[TestFixture]
[Category("Graph")]
public class GraphBuilderTests
{
    [Test]
    public void NamesAreMadeUniqueAsTensorFlowDoes()
    {
        var g = new GraphBuilder();
        GraphTensor x = g.Placeholder(TensorShape.Of(2L, 3), "x");
        string[] names =
        [
            fake_quant_with_min_max_args(x, name: "fq").Node.Name,
            fake_quant_with_min_max_args(x, name: "fq").Node.Name,
            fake_quant_with_min_max_args(x, name: "FQ").Node.Name,
            fake_quant_with_min_max_args(x).Node.Name,
            fake_quant_with_min_max_args(x).Node.Name,
        ];
        Assert.That(names, Is.EqualTo(new[] { "fq", "fq_1", "FQ_2", "FakeQuantWithMinMaxArgs", "FakeQuantWithMinMaxArgs_1" }));
    }

    [Test]
    public void AnExplicitSuffixedNameIsSkippedOver()
    {
        var g = new GraphBuilder();
        GraphTensor x = g.Placeholder(null, "x");
        string a = fake_quant_with_min_max_args(x, name: "fq").Node.Name;
        string b = fake_quant_with_min_max_args(x, name: "fq_1").Node.Name;
        string c = fake_quant_with_min_max_args(x, name: "fq").Node.Name;
        Assert.That(new[] { a, b, c }, Is.EqualTo(new[] { "fq", "fq_1", "fq_2" }));
    }

    [Test]
    public void NameScopesPrefixAndAreThemselvesUnique()
    {
        var g = new GraphBuilder();
        GraphTensor x = g.Placeholder(TensorShape.Of(4L), "x");
        var names = new List<string>();
        using (NameScope s = g.OpenNameScope("scope"))
        {
            Assert.That(s.Name, Is.EqualTo("scope/"));
            names.Add(fake_quant_with_min_max_args(x, name: "fq").Node.Name);
            using (g.OpenNameScope("inner"))
            {
                names.Add(fake_quant_with_min_max_args(x, name: "fq").Node.Name);
            }

            names.Add(fake_quant_with_min_max_args(x, name: "fq").Node.Name);
        }

        using (g.OpenNameScope("scope"))
        {
            names.Add(fake_quant_with_min_max_args(x, name: "fq").Node.Name);
        }

        using (g.OpenNameScope("scope/"))
        {
            names.Add(fake_quant_with_min_max_args(x, name: "fq").Node.Name);
        }

        names.Add(fake_quant_with_min_max_args(x, name: "fq").Node.Name);
        Assert.That(names, Is.EqualTo(new[] { "scope/fq", "scope/inner/fq", "scope/fq_1", "scope_1/fq", "scope/fq_2", "fq" }));
        Assert.That(g.CurrentNameScope, Is.EqualTo(""));
    }

    [Test]
    public void InvalidNamesAreRejected()
    {
        var g = new GraphBuilder();
        Assert.Throws<ArgumentException>(() => g.Placeholder(null, "_bad"));
        Assert.Throws<ArgumentException>(() => g.Placeholder(null, "has space"));
        Assert.Throws<ArgumentException>(() => g.OpenNameScope("bad scope"));
    }

    [Test]
    public void AllAttrsAreWrittenWithTensorFlowsDefaultsInKeyOrder()
    {
        var g = new GraphBuilder();
        GraphTensor x = g.Placeholder(null, "x");
        NodeDef def = fake_quant_with_min_max_args(x).Node.Def;
        Assert.Multiple(() =>
        {
            Assert.That(def.Attr.Keys, Is.EqualTo(new[] { "max", "min", "narrow_range", "num_bits" }));
            Assert.That(def.Attr["min"].F, Is.EqualTo(-6f));
            Assert.That(def.Attr["max"].F, Is.EqualTo(6f));
            Assert.That(def.Attr["num_bits"].I, Is.EqualTo(8));
            Assert.That(def.Attr["narrow_range"].ValueCase, Is.EqualTo(AttrValue.ValueOneofCase.B));
            Assert.That(x.Node.Def.Attr["shape"].Shape.UnknownRank, Is.True);
        });
    }

    [Test]
    public void ShapeErrorsCarryTensorFlowsNodeSummary()
    {
        var g = new GraphBuilder();
        GraphTensor x = g.Placeholder(TensorShape.Of(4L, 3), "x");
        GraphTensor min = g.Placeholder(TensorShape.Of(2L), "lo");
        GraphTensor max = g.Placeholder(TensorShape.Of(3L), "hi");
        var ex = Assert.Throws<ShapeInferenceException>(() => fake_quant_with_min_max_vars_per_channel(x, min, max, name: "pc"));
        Assert.That(ex!.RawMessage, Is.EqualTo(
            "Dimensions must be equal, but are 3 and 2 for '{{node pc}} = FakeQuantWithMinMaxVarsPerChannel[narrow_range=false, num_bits=8](x, lo, hi)' with input shapes: [4,3], [2], [3]."));
    }

    [Test]
    public void TheNodeSummaryListsEveryAttrIncludingColocation()
    {
        var g = new GraphBuilder();
        GraphTensor x = g.Placeholder(TensorShape.Of(4L), "x");
        GraphTensor lo = g.Placeholder(TensorShape.Of(2L), "lo");
        GraphNode anchor = fake_quant_with_min_max_args(x, name: "fq").Node;
        using (g.ColocateWith(anchor))
        {
            var ex = Assert.Throws<ShapeInferenceException>(() => fake_quant_with_min_max_vars(x, lo, lo, name: "v"));
            Assert.That(ex!.RawMessage, Is.EqualTo(
                "Shape must be rank 0 but is rank 1 for '{{node v}} = FakeQuantWithMinMaxVars[_class=[\"loc:@fq\"], narrow_range=false, num_bits=8](x, lo, lo)' with input shapes: [4], [2], [2]."));
        }
    }

    [Test]
    public void UnknownRankGradientsWithRankZeroInputsRaiseTheRankZeroText()
    {
        // TensorFlow 2.21's own shape inference crashes its process here (SPEC.md).
        var g = new GraphBuilder();
        GraphTensor grads = g.Placeholder(null, "g");
        GraphTensor x = g.Placeholder(TensorShape.Scalar, "x");
        GraphTensor m = g.Placeholder(TensorShape.Of(1L), "m");
        var ex = Assert.Throws<ShapeInferenceException>(() => fake_quant_with_min_max_vars_per_channel_gradient(grads, x, m, m));
        Assert.That(ex!.Message, Is.EqualTo("Shape must be at least rank 1 but is rank 0"));
    }

    [Test]
    public void ConstantsAreWrittenAsTensorFlowWritesThemAndRunBack()
    {
        var g = new GraphBuilder();
        GraphTensor one = g.Constant(1f);
        GraphTensor same = g.Constant(new FloatTensor(TensorShape.Of(2L, 2), [0.5f, 0.5f, 0.5f, 0.5f]));
        GraphTensor mixed = g.Constant(new FloatTensor(TensorShape.Of(3L), [1f, -2f, float.NaN]));
        TensorProto p1 = one.Node.Def.Attr["value"].Tensor, p2 = same.Node.Def.Attr["value"].Tensor, p3 = mixed.Node.Def.Attr["value"].Tensor;
        Assert.Multiple(() =>
        {
            Assert.That(one.Node.Name, Is.EqualTo("Const"));
            Assert.That(same.Node.Name, Is.EqualTo("Const_1"));
            Assert.That(Convert.ToHexString(Google.Protobuf.MessageExtensions.ToByteArray(p1)), Is.EqualTo("080112002A040000803F"));
            Assert.That(p2.FloatVal, Is.EqualTo(new[] { 0.5f }));
            Assert.That(p3.TensorContent.Length, Is.EqualTo(12));
        });

        var exec = new GraphExecutor(g);
        FloatTensor[] r = exec.Run(new Dictionary<string, FloatTensor>(), [one.Name, same.Name, mixed.Name]);
        Assert.Multiple(() =>
        {
            Assert.That(r[0].GetArray(), Is.EqualTo(new[] { 1f }));
            Assert.That(r[1].Shape, Is.EqualTo(TensorShape.Of(2L, 2)));
            Assert.That(r[1].GetArray(), Is.EqualTo(new[] { 0.5f, 0.5f, 0.5f, 0.5f }));
            Assert.That(r[2].GetArray()[..2], Is.EqualTo(new[] { 1f, -2f }));
            Assert.That(float.IsNaN(r[2][2]), Is.True);
        });
    }

    [Test]
    public void AGradientOpOnThePathGivesNoGradientAndNoError()
    {
        var g = new GraphBuilder();
        GraphTensor up = g.Placeholder(TensorShape.Of(2L, 3), "up");
        GraphTensor x = g.Placeholder(TensorShape.Of(2L, 3), "x");
        GraphTensor m = g.Placeholder(TensorShape.Of(3L), "m");
        GraphTensor n = g.Placeholder(TensorShape.Of(3L), "n");
        var (dx, _, _) = fake_quant_with_min_max_vars_per_channel_gradient(up, x, m, n);
        IReadOnlyList<GraphTensor?> grads = gradients([dx], [x, m, up]);
        Assert.That(grads, Is.EqualTo(new GraphTensor?[] { null, null, null }));
    }

    [Test]
    public void AnOpWithoutAGradientRaisesTensorFlowsTextWhenReachedThroughAFloatEdge()
    {
        var g = new GraphBuilder();
        GraphTensor c = g.Placeholder(TensorShape.Scalar, "c");
        GraphTensor x = g.Placeholder(TensorShape.Of(2L), "x");
        GraphTensor shape = g.AddOperation("Shape", [x])[0];
        GraphTensor filled = g.AddOperation("Fill", [shape, c], name: "fill")[0];
        GraphTensor y = fake_quant_with_min_max_args(filled);

        // _MarkReachedOps follows trainable outputs only: x reaches Shape, whose int32 output does
        // not carry x to the Fill, so x gets None and the Fill's missing gradient is never asked.
        Assert.That(gradients([y], [x]), Is.EqualTo(new GraphTensor?[] { null }));
        var ex = Assert.Throws<KeyNotFoundException>(() => gradients([y], [c]));
        Assert.That(ex!.Message, Is.EqualTo(
            "No gradient defined for operation'fill' (op type: Fill). In general every operation must have an associated " +
            "`@tf.RegisterGradient` for correct autodiff, which this op is lacking. If you want to pretend this operation is a " +
            "constant in your program, you may insert `tf.stop_gradient`. This can be useful to silence the error in cases where " +
            "you know gradients are not needed, e.g. the forward pass of tf.custom_gradient. Please see more details in " +
            "https://www.tensorflow.org/api_docs/python/tf/custom_gradient."));
    }

    [Test]
    public void AnUnconnectedXGetsNull()
    {
        var g = new GraphBuilder();
        GraphTensor x = g.Placeholder(TensorShape.Of(3L), "x");
        GraphTensor other = g.Placeholder(TensorShape.Of(3L), "other");
        GraphTensor y = fake_quant_with_min_max_args(x);
        IReadOnlyList<GraphTensor?> grads = gradients([y], [x, other]);
        Assert.Multiple(() =>
        {
            Assert.That(grads[0]!.Name, Is.EqualTo("gradients/FakeQuantWithMinMaxArgs_grad/FakeQuantWithMinMaxArgsGradient:0"));
            Assert.That(grads[1], Is.Null);
        });
    }

    [Test]
    public void ATensorUsedTwiceGetsTheSumOfItsGradients()
    {
        var g = new GraphBuilder();
        GraphTensor x = g.Placeholder(TensorShape.Of(-1L, 4), "x");
        GraphTensor a = fake_quant_with_min_max_args(x, min: -1f, max: 1f, name: "a");
        GraphTensor b = fake_quant_with_min_max_args(x, min: -3f, max: 0.5f, name: "b");
        IReadOnlyList<GraphTensor?> grads = gradients([a, b], [x]);
        GraphNode addN = grads[0]!.Node;
        Assert.Multiple(() =>
        {
            Assert.That(addN.Name, Is.EqualTo("gradients/AddN"));
            Assert.That(addN.OpType, Is.EqualTo("AddN"));
            Assert.That(addN.Def.Input, Is.EquivalentTo(new[]
            {
                "gradients/a_grad/FakeQuantWithMinMaxArgsGradient", "gradients/b_grad/FakeQuantWithMinMaxArgsGradient",
            }));
            Assert.That(addN.Def.Attr["N"].I, Is.EqualTo(2));
            Assert.That(grads[0]!.Shape, Is.EqualTo(TensorShape.Of(-1L, 4)));
        });

        FloatTensor xv = new(TensorShape.Of(2L, 4), [-5f, -2f, -0.75f, 0f, 0.25f, 0.75f, 2f, 5f]);
        FloatTensor r = new GraphExecutor(g).Run(new Dictionary<string, FloatTensor> { ["x"] = xv }, grads[0]!.Name);
        FloatTensor ones = new(xv.Shape, Enumerable.Repeat(1f, 8).ToArray());
        float[] expected = FakeQuantOps.ArgsGradient(ones, xv, -1f, 1f).GetArray()
            .Zip(FakeQuantOps.ArgsGradient(ones, xv, -3f, 0.5f).GetArray(), (p, q) => p + q).ToArray();
        Assert.That(r.GetArray(), Is.EqualTo(expected));
        Assert.That(expected.Distinct().Count(), Is.GreaterThan(1));
    }

    [Test]
    public void AFullyDefinedTargetGetsItsShapeAsAnInt32Constant()
    {
        // array_ops.shape in graph mode: a Const of the static shape when fully defined (tensor_content
        // for two or more dims, int_val for one, no values for a scalar), a Shape op otherwise.
        foreach ((long[] dims, string kind) in new[] { (new long[] { 4, 3 }, "content"), ([5], "int_val"), ([], "empty"), ([-1, 3], "Shape") })
        {
            var g = new GraphBuilder();
            GraphTensor x = g.Placeholder(TensorShape.Of(dims), "x");
            GraphTensor y = fake_quant_with_min_max_args(x, min: -1f, max: 1f, name: "fq");
            GraphTensor dx = gradients([y], [x])[0]!;
            GraphNode shape = g.GetNode("gradients/Shape");
            Assert.That(shape.ColocationGroups, Is.EqualTo(new[] { "loc:@fq" }), kind);
            if (kind == "Shape")
            {
                Assert.That(shape.OpType, Is.EqualTo("Shape"));
                continue;
            }

            TensorProto t = shape.Def.Attr["value"].Tensor;
            Assert.Multiple(() =>
            {
                Assert.That(shape.OpType, Is.EqualTo("Const"), kind);
                Assert.That(shape.Def.Input, Is.Empty);
                Assert.That(shape.Def.Attr["dtype"].Type, Is.EqualTo(DataType.DtInt32));
                Assert.That(t.Dtype, Is.EqualTo(DataType.DtInt32));
                Assert.That(t.TensorShape.Dim.Select(d => d.Size), Is.EqualTo(new[] { (long)dims.Length }));
                Assert.That(t.TensorContent.ToByteArray(), Is.EqualTo(kind == "content" ? new byte[] { 4, 0, 0, 0, 3, 0, 0, 0 } : Array.Empty<byte>()));
                Assert.That(t.IntVal, Is.EqualTo(kind == "int_val" ? new[] { 5 } : Array.Empty<int>()));
                Assert.That(g.GetNode("gradients/grad_ys_0").Def.Input[0], Is.EqualTo("gradients/Shape"));
                Assert.That(dx.Shape, Is.EqualTo(TensorShape.Of(dims)));
            });

            // The executor reads the constant: the gradient of ones.
            float[] xs = Enumerable.Range(0, (int)dims.Aggregate(1L, (p, q) => p * q)).Select(i => (i * 0.37f) - 1.5f).ToArray();
            var xv = new FloatTensor(TensorShape.Of(dims), xs);
            var exec = new GraphExecutor(g);
            Assert.That(exec.GetStaticShape("gradients/grad_ys_0:0"), Is.EqualTo(TensorShape.Of(dims)));
            FloatTensor r = exec.Run(new Dictionary<string, FloatTensor> { ["x"] = xv }, dx.Name);
            FloatTensor ones = new(xv.Shape, Enumerable.Repeat(1f, xs.Length).ToArray());
            Assert.That(r.GetArray(), Is.EqualTo(FakeQuantOps.ArgsGradient(ones, xv, -1f, 1f).GetArray()), kind);
        }
    }

    [Test]
    public void ImportedNodesGetTheirDefaultAttrs()
    {
        // TensorFlow's import adds the OpDef defaults a GraphDef leaves out; gradients then read them.
        var source = new GraphBuilder();
        GraphTensor sx = source.Placeholder(TensorShape.Of(4L), "x");
        fake_quant_with_min_max_args(sx, min: -6f, max: 6f, name: "fq");
        GraphDef def = source.ToGraphDef();
        NodeDef fqDef = def.Node.Single(n => n.Name == "fq");
        foreach (string attr in new[] { "min", "max", "num_bits", "narrow_range" })
        {
            fqDef.Attr.Remove(attr);
        }

        var g = new GraphBuilder();
        g.Import(def);
        NodeDef imported = g.GetNode("fq").Def;
        Assert.That(imported.Attr.Keys, Is.SupersetOf(new[] { "min", "max", "num_bits", "narrow_range" }));
        Assert.That((imported.Attr["min"].F, imported.Attr["max"].F, imported.Attr["num_bits"].I, imported.Attr["narrow_range"].B), Is.EqualTo((-6f, 6f, 8L, false)));
        GraphTensor dx = gradients([g.GetTensor("fq:0")], [g.GetTensor("x:0")])[0]!;
        Assert.That(dx.Node.Def.Attr["min"].F, Is.EqualTo(-6f));
        Assert.That(g.ToByteArray(), Is.Not.Empty);
    }

    [Test]
    public void GradYsOfTheWrongLengthGiveTensorFlowsText()
    {
        var g = new GraphBuilder();
        GraphTensor x = g.Placeholder(TensorShape.Of(3L), "x");
        GraphTensor y = fake_quant_with_min_max_args(x);
        var ex = Assert.Throws<ArgumentException>(() => gradients([y], [x], [y, y]));
        Assert.That(ex!.Message, Does.StartWith("Length mismatch. Passed 2 grad_ys for 1 ys"));
    }

    [Test]
    public void ASecondGradientsCallUsesTheNextScope()
    {
        var g = new GraphBuilder();
        GraphTensor x = g.Placeholder(TensorShape.Of(3L), "x");
        GraphTensor y = fake_quant_with_min_max_args(x, name: "fq");
        string first = gradients([y], [x])[0]!.Name;
        string second = gradients([y], [x])[0]!.Name;
        Assert.That(new[] { first, second }, Is.EqualTo(new[]
        {
            "gradients/fq_grad/FakeQuantWithMinMaxArgsGradient:0", "gradients_1/fq_grad/FakeQuantWithMinMaxArgsGradient:0",
        }));
        Assert.That(g.GetNode("gradients_1/Shape").ColocationGroups, Is.EqualTo(new[] { "loc:@fq" }));
    }

    [Test]
    public void GradientsThroughIdentityPassStraightThrough()
    {
        var g = new GraphBuilder();
        GraphTensor x = g.Placeholder(TensorShape.Of(3L), "x");
        GraphTensor id = g.AddOperation("Identity", [x])[0];
        GraphTensor y = fake_quant_with_min_max_args(id, name: "fq");
        GraphTensor? dx = gradients([y], [x])[0];
        Assert.That(dx!.Name, Is.EqualTo("gradients/fq_grad/FakeQuantWithMinMaxArgsGradient:0"));
    }

    [Test]
    public void TheReadmeQuickStartRuns()
    {
        FloatTensor xData = new(TensorShape.Of(2L, 4), [-1.2f, 0.05f, 3.1f, 9f, 0.33f, 1.3f, -0.2f, -9f]);
        FloatTensor lo = FloatTensor.Vector(-1f, 0f, -2f, -4f), hi = FloatTensor.Vector(1f, 1f, 6f, 4f);
        string dir = Path.Combine(Path.GetTempPath(), "tffq-readme-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            // The README's "Graph mode" quick start, line for line.
            var g = new GraphBuilder();
            var x = g.Placeholder(TensorShape.Of(-1L, 4), "x");            // [?,4]
            var min = g.Placeholder(TensorShape.Of(4L), "min");
            var max = g.Placeholder(TensorShape.Of(4L), "max");
            var fq = fake_quant_with_min_max_vars_per_channel(x, min, max, num_bits: 8, name: "fq");
            var grads = gradients([fq], [x, min, max]);                      // gradients/fq_grad/...:0,1,2
            var feeds = new Dictionary<string, FloatTensor> { ["x"] = xData, ["min"] = lo, ["max"] = hi }; // FloatTensors
            var dx = new GraphExecutor(g).Run(feeds, grads[0]!.Name);    // bit-exact with a TF session
            GraphDefFile.Write(g.ToGraphDef(), Path.Combine(dir, "qat_graph.pb"));

            var ones = new FloatTensor(xData.Shape, Enumerable.Repeat(1f, 8).ToArray());
            Assert.That(dx.GetArray(), Is.EqualTo(FakeQuantOps.PerChannelGradient(ones, xData, lo, hi).BackpropsWrtInput.GetArray()));
            Assert.That(GraphDefFile.Read(Path.Combine(dir, "qat_graph.pb")).Node.Select(n => n.Name), Is.EqualTo(g.Nodes.Select(n => n.Name)));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
