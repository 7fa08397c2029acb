using Google.Protobuf;
using TfFakeQuant.Graph;
using TfFakeQuant.Graph.Proto;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Fuzz;

/// <summary>
/// Fuzz targets of graph mode: random graphs built with <see cref="GraphBuilder"/> (shape
/// functions at construction), run by <see cref="GraphExecutor"/> and checked against the op level
/// (same outputs, same error texts); their GraphDef bytes and text mutated (bit flips, truncation,
/// random bytes, huge declared lengths, deep nesting) and structurally (attrs of the wrong kind,
/// huge or negative dims, dangling or cyclic inputs, duplicate names, unknown ops) and read back
/// through <see cref="GraphDefFile"/>, the executor and <see cref="GraphBuilder.Import"/>.
/// </summary>
internal static class GraphTargets
{
    private static bool IsDocumentedBuild(Exception ex) => ex is ShapeInferenceException or NotSupportedException or ArgumentException;

    private sealed record Built(GraphBuilder Builder, FakeQuantOpDef Op, FakeQuantAttrs Attrs, string Node, string[] Placeholders, long[][] Shapes, float[][] ConstValues);

    /// <summary>A random one-op graph: placeholders (static shapes partly unknown) or constants feeding a FakeQuant node.</summary>
    private static Built? Build(FuzzContext f)
    {
        FakeQuantOpDef op = f.Pick(FakeQuantCatalog.All);
        long[] x = f.Dims(64, huge: false);
        long d = x.Length == 0 ? 1 : x[^1];
        long[] range = op.IsPerChannel ? [d] : [];
        long[] Mutate(long[] good) => f.Chance(0.08) ? f.Dims(16, huge: false) : good;
        long[][] shapes = op.Kind switch
        {
            FakeQuantOpKind.Args => [x],
            FakeQuantOpKind.ArgsGradient => [Mutate(x), x],
            FakeQuantOpKind.Vars or FakeQuantOpKind.VarsPerChannel => [x, Mutate(range), Mutate(range)],
            _ => [Mutate(x), x, Mutate(range), Mutate(range)],
        };

        var b = new GraphBuilder();
        var inputs = new List<GraphTensor>();
        var placeholders = new string[shapes.Length];
        var consts = new float[shapes.Length][];
        var attrs = new FakeQuantAttrs(f.NumBits(), f.Chance(0.5), f.Chance(0.8) ? -(float)(f.Rng.NextDouble() * 8) : f.Float(),
            f.Chance(0.8) ? (float)(f.Rng.NextDouble() * 8) : f.Float());
        string node = "fq" + f.Int(0, 3);
        bool ok = true;
        f.Call("GraphBuilder.AddOperation", () =>
        {
            for (int i = 0; i < shapes.Length; i++)
            {
                bool isRange = i >= shapes.Length - 2 && op.Kind is not (FakeQuantOpKind.Args or FakeQuantOpKind.ArgsGradient);
                if (isRange && f.Chance(0.5))
                {
                    // A constant range: values chosen here so the executor's result can be checked.
                    long n = shapes[i].Aggregate(1L, (a, v) => a * v);
                    float[] v = new float[n];
                    for (int k = 0; k < n; k++)
                    {
                        v[k] = f.Chance(0.9) ? (i == shapes.Length - 2 ? -1 : 1) * (float)(f.Rng.NextDouble() * 8) : f.Float();
                    }

                    consts[i] = v;
                    inputs.Add(b.Constant(new FloatTensor(TensorShape.Of(shapes[i]), v), op.InputNames[i]));
                }
                else
                {
                    long[] staticDims = shapes[i].Select(v => f.Chance(0.2) ? TensorShape.UnknownDim : v).ToArray();
                    GraphTensor p = b.Placeholder(f.Chance(0.1) ? null : TensorShape.Of(staticDims), op.InputNames[i]);
                    placeholders[i] = p.Name;
                    inputs.Add(p);
                }
            }

            b.AddOperation(op.Name, inputs, attrs.ToDictionary(op).ToDictionary(kv => kv.Key, kv => kv.Value), node);
        }, ex => { ok = false; return IsDocumentedBuild(ex); });

        // The shape function ran at construction: compare its verdict with SPEC's order on the full shapes
        // is not possible (static shapes may be partial), so only the executor's run is checked below.
        return ok ? new Built(b, op, attrs, node, placeholders, shapes, consts) : null;
    }

    public static void BuildAndRun(FuzzContext f)
    {
        Built? built = Build(f);
        if (built is null)
        {
            return;
        }

        if (f.Chance(0.3) && !built.Op.IsGradient)
        {
            // Graph gradients of the forward op (TensorFlow's tf.gradients).
            f.Call("GraphBuilder.Gradients", () =>
            {
                GraphTensor y = built.Builder.GetTensor(built.Node + ":0");
                var xs = built.Builder.Nodes.Where(n => n.OpType is "Placeholder" or "Const").Select(n => built.Builder.GetTensor(n.Name + ":0")).ToList();
                built.Builder.Gradients([y], xs);
            }, ex => ex is KeyNotFoundException or ArgumentException);
        }

        GraphExecutor? exec = null;
        f.Call("GraphExecutor(GraphBuilder)", () => exec = new GraphExecutor(built.Builder), _ => false);
        if (exec is null)
        {
            return;
        }

        // Feed every placeholder with the shape it was built for (sometimes another one).
        var feeds = new Dictionary<string, FloatTensor>(StringComparer.Ordinal);
        var values = new FloatTensor[built.Shapes.Length];
        for (int i = 0; i < built.Shapes.Length; i++)
        {
            long[] dims = built.Placeholders[i] is not null && f.Chance(0.05) ? f.Dims(16, huge: false) : built.Shapes[i];
            int n = (int)dims.Aggregate(1L, (a, v) => a * v);
            values[i] = built.ConstValues[i] is { } c ? new FloatTensor(TensorShape.Of(dims), c) : new FloatTensor(TensorShape.Of(dims), f.Floats(n));
            if (built.Placeholders[i] is { } p && !f.Chance(0.02))
            {
                feeds[p] = values[i];
            }
        }

        bool allFed = built.Placeholders.Where(p => p is not null).All(feeds.ContainsKey);
        int fetchIndex = f.Int(0, built.Op.OutputNames.Count - 1);
        string fetch = built.Node + ":" + fetchIndex;

        // What the op level says for the same values (the executor must agree, texts included).
        FloatTensor[]? direct = null;
        string? directError = null;
        try
        {
            direct = FakeQuantOps.Execute(built.Op, values, built.Attrs, built.Node);
        }
        catch (InvalidArgumentException ex)
        {
            directError = ex.Message;
        }

        bool staticMismatch = built.Placeholders.Select((p, i) => p is not null && feeds.ContainsKey(p) && !Compatible(exec.GetStaticShape(p), values[i].Shape)).Any(m => m);
        f.Call("GraphExecutor.Run", () =>
        {
            FloatTensor result;
            try
            {
                result = exec.Run(feeds, fetch);
            }
            catch (InvalidArgumentException ex) when (allFed && !staticMismatch && directError is not null && ex.Message != directError)
            {
                f.Wrong("GraphExecutor.Run", $"{built.Op.Name}: executor text \"{ex.Message}\", op level \"{directError}\"");
                throw;
            }

            if (!allFed || staticMismatch || directError is not null)
            {
                f.Wrong("GraphExecutor.Run", $"{built.Op.Name}: ran although {(!allFed ? "a placeholder was not fed" : staticMismatch ? "a feed contradicts its static shape" : directError)}");
                return;
            }

            FloatTensor expected = direct![fetchIndex];
            if (!result.Shape.Equals(expected.Shape) || !OpTargets.BitsEqual(result.Span, expected.Span) && !NaNsOnly(result.Span, expected.Span))
            {
                f.Wrong("GraphExecutor.Run", $"{built.Op.Name} output {fetchIndex}: graph result differs from the op level");
            }
        }, ex => ex is InvalidArgumentException);

        // The graph's bytes and text, mutated, back through the readers.
        byte[] bytes = built.Builder.ToByteArray();
        Reparse(f, Mutate(f, bytes));
        if (f.Chance(0.2))
        {
            string text = GraphDefFile.ToText(built.Builder.ToGraphDef());
            ReparseText(f, MutateText(f, text));
        }

        if (f.Chance(0.5))
        {
            GraphDef g = built.Builder.ToGraphDef();
            MutateStructure(f, g);
            Load(f, g);
        }
    }

    private static bool NaNsOnly(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Length; i++)
        {
            if (!OpTargets.Same(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Compatible(TensorShape stat, TensorShape fed)
    {
        if (!stat.IsRankKnown)
        {
            return true;
        }

        if (stat.Rank != fed.Rank)
        {
            return false;
        }

        for (int i = 0; i < stat.Rank; i++)
        {
            if (stat[i] != TensorShape.UnknownDim && stat[i] != fed[i])
            {
                return false;
            }
        }

        return true;
    }

    // ---- bytes ----

    private static byte[] Mutate(FuzzContext f, byte[] bytes)
    {
        var b = new List<byte>(bytes);
        int rounds = f.Int(0, 4);
        for (int r = 0; r < rounds; r++)
        {
            switch (f.Int(0, 8))
            {
                case 0 when b.Count > 0:
                    int i = f.Rng.Next(b.Count);
                    b[i] ^= (byte)(1 << f.Int(0, 7));
                    break;
                case 1 when b.Count > 0:
                    b = b.Take(f.Rng.Next(b.Count + 1)).ToList(); // truncation
                    break;
                case 2:
                    b.InsertRange(f.Rng.Next(b.Count + 1), Enumerable.Range(0, f.Int(1, 16)).Select(_ => (byte)f.Rng.Next(256)));
                    break;
                case 3:
                    // A length-delimited field declaring a huge length: GraphDef.node (field 1), then 2^32-1, 2^31, or a 10-byte varint.
                    b.InsertRange(f.Rng.Next(b.Count + 1), f.Pick(new byte[][]
                    {
                        [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F],
                        [0x0A, 0x80, 0x80, 0x80, 0x80, 0x08],
                        [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
                        [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
                        [0x0A, 0x7F],
                    }));
                    break;
                case 4:
                    b = [.. Nested(f.Pick(new[] { 10, 99, 100, 101, 2000, 100_000 }))];
                    break;
                case 5:
                    b = [.. Enumerable.Range(0, f.Int(0, 64)).Select(_ => (byte)f.Rng.Next(256))];
                    break;
                case 6:
                    // Deeply nested groups in an unknown field (field 15, start-group tags).
                    int depth = f.Pick(new[] { 50, 101, 10_000, 200_000 });
                    b.InsertRange(0, Enumerable.Repeat((byte)0x7B, depth));
                    break;
                case 7 when b.Count > 1:
                    int at = f.Rng.Next(b.Count - 1);
                    (b[at], b[at + 1]) = (b[at + 1], b[at]);
                    break;
                default:
                    b.AddRange(bytes.Take(f.Rng.Next(bytes.Length + 1))); // duplicated fields
                    break;
            }
        }

        return [.. b];
    }

    /// <summary>A GraphDef whose one node nests <c>experimental_type.args</c> (FullTypeDef) <paramref name="depth"/> deep.</summary>
    private static byte[] Nested(int depth)
    {
        // Sizes inside out (O(depth)): level k holds tag + varint(len) + level k-1.
        var lengths = new long[depth + 1];
        lengths[0] = 2; // FullTypeDef.type_id = TFT_PRODUCT
        for (int k = 1; k <= depth; k++)
        {
            lengths[k] = 1 + VarintSize(lengths[k - 1]) + lengths[k - 1];
        }

        var inner = new MemoryStream();
        for (int k = depth; k >= 1; k--)
        {
            inner.WriteByte(0x12); // FullTypeDef.args (field 2)
            WriteVarint(inner, lengths[k - 1]);
        }

        inner.Write([0x08, 0x03]);
        byte[] nodeDef = [0x0A, 0x01, (byte)'n', 0x12, 0x05, .. "Const"u8, .. Wrap(0x3A, inner.ToArray())]; // name, op, experimental_type (field 7)
        return Wrap(0x0A, nodeDef); // GraphDef.node
    }

    private static int VarintSize(long v)
    {
        int n = 1;
        while ((v >>= 7) != 0)
        {
            n++;
        }

        return n;
    }

    private static void WriteVarint(Stream w, long value)
    {
        ulong len = (ulong)value;
        do
        {
            byte b7 = (byte)(len & 0x7F);
            len >>= 7;
            w.WriteByte(len == 0 ? b7 : (byte)(b7 | 0x80));
        }
        while (len != 0);
    }

    private static byte[] Wrap(byte tag, byte[] payload)
    {
        var w = new MemoryStream();
        w.WriteByte(tag);
        WriteVarint(w, payload.Length);
        w.Write(payload);
        return w.ToArray();
    }

    private static void Reparse(FuzzContext f, byte[] bytes)
    {
        GraphDef? g = null;
        f.Call("GraphDefFile.Parse", () => g = GraphDefFile.Parse(bytes), ex => ex is InvalidDataException);
        if (g is not null)
        {
            Load(f, g);
        }
    }

    private static string MutateText(FuzzContext f, string text)
    {
        var s = new System.Text.StringBuilder(text);
        int rounds = f.Int(1, 4);
        for (int r = 0; r < rounds; r++)
        {
            switch (f.Int(0, 5))
            {
                case 0 when s.Length > 0:
                    s.Remove(f.Rng.Next(s.Length), 1);
                    break;
                case 1:
                    s.Insert(f.Rng.Next(s.Length + 1), f.Pick(new[] { "{", "}", "\"", "\\", ":", "[", "]", " node { ", "attr { key: \"x\" value { i: 99999999999999999999 } }", "#", "\n", "\\x", "\\777", "f: nan", "f: -inf", "size: -5", "size: 9223372036854775807" }));
                    break;
                case 2:
                    s.Length = f.Rng.Next(s.Length + 1);
                    break;
                case 3:
                    int depth = f.Pick(new[] { 100, 5_000, 100_000 });
                    s.Insert(0, string.Concat(Enumerable.Repeat("node { experimental_type { args { ", 1)) + string.Concat(Enumerable.Repeat("args { ", depth)));
                    break;
                default:
                    int at = f.Rng.Next(s.Length + 1);
                    s.Insert(at, (char)f.Int(0, 0x2FF));
                    break;
            }
        }

        return s.ToString();
    }

    private static void ReparseText(FuzzContext f, string text)
    {
        GraphDef? g = null;
        f.Call("GraphDefFile.ParseText", () => g = GraphDefFile.ParseText(text), ex => ex is InvalidDataException);
        if (g is not null)
        {
            Load(f, g);
        }
    }

    // ---- structure ----

    private static void MutateStructure(FuzzContext f, GraphDef g)
    {
        if (g.Node.Count == 0)
        {
            return;
        }

        int rounds = f.Int(1, 3);
        for (int r = 0; r < rounds; r++)
        {
            NodeDef n = g.Node[f.Rng.Next(g.Node.Count)];
            switch (f.Int(0, 11))
            {
                case 0:
                    n.Attr["num_bits"] = f.Chance(0.5) ? new AttrValue { I = f.NumBits() } : new AttrValue { F = 8f };
                    break;
                case 1:
                    n.Attr[f.Pick(new[] { "narrow_range", "min", "max", "dtype", "T", "shape", "value" })] = f.Int(0, 5) switch
                    {
                        0 => new AttrValue { B = true },
                        1 => new AttrValue { F = f.Float() },
                        2 => new AttrValue { Type = (DataType)f.Int(-1, 30) },
                        3 => new AttrValue { S = ByteString.CopyFromUtf8("x") },
                        4 => new AttrValue { Shape = HugeShape(f) },
                        _ => new AttrValue(),
                    };
                    break;
                case 2:
                    // A Const whose declared shape is huge or negative, with little or no data.
                    n.Op = "Const";
                    n.Attr["dtype"] = new AttrValue { Type = f.Chance(0.8) ? DataType.DtFloat : DataType.DtInt32 };
                    var t = new TensorProto { Dtype = n.Attr["dtype"].Type, TensorShape = HugeShape(f) };
                    if (f.Chance(0.5))
                    {
                        t.FloatVal.Add(1.5f);
                        t.IntVal.Add(3);
                    }
                    else if (f.Chance(0.5))
                    {
                        t.TensorContent = ByteString.CopyFrom(new byte[f.Int(0, 12)]);
                    }

                    n.Attr["value"] = new AttrValue { Tensor = t };
                    n.Input.Clear();
                    break;
                case 3:
                    n.Input.Add(f.Pick(new[] { "nowhere", "fq0:7", "fq0:-1", "^nowhere", "", ":", "fq0:99999999999", g.Node[0].Name }));
                    break;
                case 4 when n.Input.Count > 0:
                    n.Input[f.Rng.Next(n.Input.Count)] = f.Pick(g.Node).Name + ":" + f.Int(0, 3); // possibly a cycle
                    break;
                case 5:
                    n.Name = f.Pick(g.Node).Name; // possibly a duplicate
                    break;
                case 6:
                    n.Op = f.Pick(new[] { "Relu", "", "FakeQuantWithMinMaxArgs", "FakeQuantWithMinMaxVarsPerChannelGradient", "AddN", "Fill", "Shape", "Identity" });
                    break;
                case 7:
                    g.Node.Add(n.Clone());
                    break;
                case 8 when n.Input.Count > 0:
                    n.Input.RemoveAt(n.Input.Count - 1);
                    break;
                case 9:
                    n.Attr.Remove(f.Pick(n.Attr.Keys.DefaultIfEmpty("x").ToList()));
                    break;
                case 10:
                    n.Attr["N"] = new AttrValue { I = f.Pick(new[] { -1L, 0L, 2L, 1L << 40 }) };
                    break;
                default:
                    n.Attr["shape"] = new AttrValue { Shape = HugeShape(f) };
                    break;
            }
        }
    }

    private static TensorShapeProto HugeShape(FuzzContext f)
    {
        var s = new TensorShapeProto { UnknownRank = f.Chance(0.05) };
        int rank = f.Int(0, 4);
        for (int i = 0; i < rank; i++)
        {
            s.Dim.Add(new TensorShapeProto.Types.Dim
            {
                Size = f.Pick(new[] { -7L, -1L, 0L, 1L, 3L, 1L << 20, 1L << 31, 1L << 40, long.MaxValue, long.MinValue }),
            });
        }

        return s;
    }

    /// <summary>A parsed graph through the executor (construction and a run) and the builder's import.</summary>
    private static void Load(FuzzContext f, GraphDef g)
    {
        GraphExecutor? exec = null;
        f.Call("GraphExecutor(GraphDef)", () => exec = new GraphExecutor(g),
            ex => ex is InvalidDataException or NotSupportedException or ShapeInferenceException);
        if (exec is not null && g.Node.Count > 0)
        {
            var feeds = new Dictionary<string, FloatTensor>(StringComparer.Ordinal);
            foreach (NodeDef n in g.Node.Where(n => n.Op == "Placeholder"))
            {
                TensorShape s = TensorShape.Unknown;
                try
                {
                    s = exec.GetStaticShape(n.Name + ":0");
                }
                catch (KeyNotFoundException)
                {
                }

                long[] dims = s.IsRankKnown ? s.Dims.ToArray().Select(d => d < 0 || d > 8 ? 2 : d).ToArray() : f.Dims(16, huge: false);
                feeds[n.Name] = new FloatTensor(TensorShape.Of(dims), f.Floats((int)dims.Aggregate(1L, (a, v) => a * v)));
            }

            NodeDef target = f.Pick(g.Node);
            f.Call("GraphExecutor.Run", () => exec.Run(feeds, target.Name + ":" + f.Int(0, 2)),
                ex => ex is InvalidArgumentException or KeyNotFoundException or ArgumentException);
        }

        if (f.Chance(0.3))
        {
            var b = new GraphBuilder();
            f.Call("GraphBuilder.Import", () => b.Import(g, f.Chance(0.5) ? "" : "imported"),
                ex => ex is InvalidDataException or NotSupportedException or ShapeInferenceException);
        }
    }
}
