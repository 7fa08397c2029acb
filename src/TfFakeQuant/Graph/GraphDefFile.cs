using System.Globalization;
using System.Text;
using Google.Protobuf;
using TfFakeQuant.Graph.Proto;

namespace TfFakeQuant.Graph;

/// <summary>
/// Reads and writes GraphDef files: the binary wire format (<c>.pb</c>, what
/// <c>tf.compat.v1.GraphDef.FromString</c>, <c>import_graph_def</c> and TensorFlow.NET's
/// <c>graph.Import</c> read) and TensorFlow's text format (<c>.pbtxt</c>, what
/// <c>google.protobuf.text_format.Parse</c> reads).
/// </summary>
public static class GraphDefFile
{
    /// <summary>
    /// Parses a binary GraphDef. Malformed input never crashes or hangs the process: any
    /// decoding failure (truncated data, bad tags or lengths, nesting deeper than 100) is an
    /// <see cref="InvalidDataException"/> whose inner exception is Google.Protobuf's
    /// <see cref="InvalidProtocolBufferException"/>. Fields this library does not model
    /// (<c>library</c>, <c>debug_info</c>, ...) are kept as unknown fields.
    /// </summary>
    /// <param name="bytes">The wire bytes.</param>
    /// <returns>The graph.</returns>
    /// <exception cref="InvalidDataException">The bytes are not a GraphDef.</exception>
    public static GraphDef Parse(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return GraphDef.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new InvalidDataException($"Not a valid GraphDef: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Parses TensorFlow's text format of a GraphDef (what <c>text_format.MessageToString</c>,
    /// <c>tf.io.write_graph(..., as_text=True)</c> and <see cref="ToText(GraphDef)"/> write):
    /// the fields this library models, comments, <c>[a, b]</c> lists, C escapes.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <returns>The graph.</returns>
    /// <exception cref="InvalidDataException">Not a GraphDef in text format (the message names the line), or a field this reader does not model.</exception>
    public static GraphDef ParseText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return GraphDefTextParser.Parse(text);
    }

    /// <summary>
    /// Reads a GraphDef file: text format (<see cref="ParseText(string)"/>) when the name ends in
    /// <c>.pbtxt</c> or <c>.txt</c>, else binary (<see cref="Parse(ReadOnlySpan{byte})"/>).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <returns>The graph.</returns>
    /// <exception cref="InvalidDataException">The file is not a GraphDef.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static GraphDef Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return IsText(path) ? ParseText(File.ReadAllText(path)) : Parse(File.ReadAllBytes(path));
    }

    private static bool IsText(string path) =>
        path.EndsWith(".pbtxt", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".txt", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Writes <paramref name="graph"/> to <paramref name="path"/>: TensorFlow's text format when
    /// the name ends in <c>.pbtxt</c> or <c>.txt</c>, else the binary format (deterministic: attr
    /// maps sorted by key, as TensorFlow writes them).
    /// </summary>
    /// <param name="graph">The graph (its attr maps are sorted in place).</param>
    /// <param name="path">The file to create or replace.</param>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(GraphDef graph, string path)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (IsText(path))
        {
            File.WriteAllText(path, ToText(graph), new UTF8Encoding(false));
        }
        else
        {
            File.WriteAllBytes(path, GraphProtos.ToDeterministicBytes(graph));
        }
    }

    /// <summary>
    /// <paramref name="graph"/> in TensorFlow's (Python <c>text_format</c>) text format: fields
    /// in field-number order, two-space indentation, attr map entries sorted by key, enum values
    /// by name, floats in their shortest round-trip form, bytes C-escaped. Unknown fields are
    /// left out.
    /// </summary>
    /// <param name="graph">The graph.</param>
    /// <returns>The text.</returns>
    public static string ToText(GraphDef graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var w = new TextWriter();
        foreach (NodeDef n in graph.Node)
        {
            w.Open("node");
            WriteNode(w, n);
            w.Close();
        }

        if (graph.Version != 0)
        {
            w.Field("version", Int(graph.Version));
        }

        if (graph.Versions is { } v)
        {
            w.Open("versions");
            if (v.Producer != 0)
            {
                w.Field("producer", Int(v.Producer));
            }

            if (v.MinConsumer != 0)
            {
                w.Field("min_consumer", Int(v.MinConsumer));
            }

            foreach (int b in v.BadConsumers)
            {
                w.Field("bad_consumers", Int(b));
            }

            w.Close();
        }

        return w.ToString();
    }

    /// <summary><paramref name="node"/> in TensorFlow's text format (see <see cref="ToText(GraphDef)"/>).</summary>
    /// <param name="node">The node.</param>
    /// <returns>The text.</returns>
    public static string ToText(NodeDef node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var w = new TextWriter();
        WriteNode(w, node);
        return w.ToString();
    }

    private static void WriteNode(TextWriter w, NodeDef n)
    {
        if (n.Name.Length > 0)
        {
            w.Field("name", Str(n.Name));
        }

        if (n.Op.Length > 0)
        {
            w.Field("op", Str(n.Op));
        }

        foreach (string i in n.Input)
        {
            w.Field("input", Str(i));
        }

        if (n.Device.Length > 0)
        {
            w.Field("device", Str(n.Device));
        }

        WriteAttrMap(w, n.Attr, 0);
        if (n.ExperimentalDebugInfo is { } dbg)
        {
            w.Open("experimental_debug_info");
            foreach (string s in dbg.OriginalNodeNames)
            {
                w.Field("original_node_names", Str(s));
            }

            foreach (string s in dbg.OriginalFuncNames)
            {
                w.Field("original_func_names", Str(s));
            }

            w.Close();
        }

        if (n.ExperimentalType is { } ft)
        {
            w.Open("experimental_type");
            WriteFullType(w, ft, 0);
            w.Close();
        }
    }

    private const int MaxDepth = 100;

    private static void WriteAttrMap(TextWriter w, Google.Protobuf.Collections.MapField<string, AttrValue> map, int depth)
    {
        foreach (KeyValuePair<string, AttrValue> e in map.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            w.Open("attr");
            w.Field("key", Str(e.Key));
            w.Open("value");
            WriteAttrValue(w, e.Value, depth + 1);
            w.Close();
            w.Close();
        }
    }

    private static void WriteAttrValue(TextWriter w, AttrValue v, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidDataException("Attr values are nested too deeply.");
        }

        switch (v.ValueCase)
        {
            case AttrValue.ValueOneofCase.List:
            {
                AttrValue.Types.ListValue l = v.List;
                w.Open("list");
                foreach (ByteString s in l.S)
                {
                    w.Field("s", Bytes(s));
                }

                foreach (long i in l.I)
                {
                    w.Field("i", Int(i));
                }

                foreach (float f in l.F)
                {
                    w.Field("f", Float(f));
                }

                foreach (bool b in l.B)
                {
                    w.Field("b", Bool(b));
                }

                foreach (DataType t in l.Type)
                {
                    w.Field("type", Enum(t));
                }

                foreach (TensorShapeProto s in l.Shape)
                {
                    w.Open("shape");
                    WriteShape(w, s);
                    w.Close();
                }

                foreach (TensorProto t in l.Tensor)
                {
                    w.Open("tensor");
                    WriteTensor(w, t);
                    w.Close();
                }

                foreach (NameAttrList f in l.Func)
                {
                    w.Open("func");
                    WriteFunc(w, f, depth);
                    w.Close();
                }

                w.Close();
                break;
            }

            case AttrValue.ValueOneofCase.S:
                w.Field("s", Bytes(v.S));
                break;
            case AttrValue.ValueOneofCase.I:
                w.Field("i", Int(v.I));
                break;
            case AttrValue.ValueOneofCase.F:
                w.Field("f", Float(v.F));
                break;
            case AttrValue.ValueOneofCase.B:
                w.Field("b", Bool(v.B));
                break;
            case AttrValue.ValueOneofCase.Type:
                w.Field("type", Enum(v.Type));
                break;
            case AttrValue.ValueOneofCase.Shape:
                w.Open("shape");
                WriteShape(w, v.Shape);
                w.Close();
                break;
            case AttrValue.ValueOneofCase.Tensor:
                w.Open("tensor");
                WriteTensor(w, v.Tensor);
                w.Close();
                break;
            case AttrValue.ValueOneofCase.Placeholder:
                w.Field("placeholder", Str(v.Placeholder));
                break;
            case AttrValue.ValueOneofCase.Func:
                w.Open("func");
                WriteFunc(w, v.Func, depth);
                w.Close();
                break;
            default:
                break;
        }
    }

    private static void WriteFunc(TextWriter w, NameAttrList f, int depth)
    {
        if (f.Name.Length > 0)
        {
            w.Field("name", Str(f.Name));
        }

        WriteAttrMap(w, f.Attr, depth + 1);
    }

    private static void WriteShape(TextWriter w, TensorShapeProto s)
    {
        foreach (TensorShapeProto.Types.Dim d in s.Dim)
        {
            w.Open("dim");
            if (d.Size != 0)
            {
                w.Field("size", Int(d.Size));
            }

            if (d.Name.Length > 0)
            {
                w.Field("name", Str(d.Name));
            }

            w.Close();
        }

        if (s.UnknownRank)
        {
            w.Field("unknown_rank", "true");
        }
    }

    private static void WriteTensor(TextWriter w, TensorProto t)
    {
        if (t.Dtype != DataType.DtInvalid)
        {
            w.Field("dtype", Enum(t.Dtype));
        }

        if (t.TensorShape is { } s)
        {
            w.Open("tensor_shape");
            WriteShape(w, s);
            w.Close();
        }

        if (t.VersionNumber != 0)
        {
            w.Field("version_number", Int(t.VersionNumber));
        }

        if (t.TensorContent.Length > 0)
        {
            w.Field("tensor_content", Bytes(t.TensorContent));
        }

        foreach (float f in t.FloatVal)
        {
            w.Field("float_val", Float(f));
        }

        foreach (double d in t.DoubleVal)
        {
            w.Field("double_val", Double(d));
        }

        foreach (int i in t.IntVal)
        {
            w.Field("int_val", Int(i));
        }

        foreach (ByteString s2 in t.StringVal)
        {
            w.Field("string_val", Bytes(s2));
        }

        foreach (float f in t.ScomplexVal)
        {
            w.Field("scomplex_val", Float(f));
        }

        foreach (long i in t.Int64Val)
        {
            w.Field("int64_val", Int(i));
        }

        foreach (bool b in t.BoolVal)
        {
            w.Field("bool_val", Bool(b));
        }

        foreach (double d in t.DcomplexVal)
        {
            w.Field("dcomplex_val", Double(d));
        }

        foreach (int i in t.HalfVal)
        {
            w.Field("half_val", Int(i));
        }

        foreach (uint i in t.Uint32Val)
        {
            w.Field("uint32_val", i.ToString(CultureInfo.InvariantCulture));
        }

        foreach (ulong i in t.Uint64Val)
        {
            w.Field("uint64_val", i.ToString(CultureInfo.InvariantCulture));
        }

        if (t.Float8Val.Length > 0)
        {
            w.Field("float8_val", Bytes(t.Float8Val));
        }
    }

    private static void WriteFullType(TextWriter w, FullTypeDef t, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidDataException("Full type definitions are nested too deeply.");
        }

        if (t.TypeId != FullTypeId.TftUnset)
        {
            w.Field("type_id", Enum(t.TypeId));
        }

        foreach (FullTypeDef a in t.Args)
        {
            w.Open("args");
            WriteFullType(w, a, depth + 1);
            w.Close();
        }

        switch (t.AttrCase)
        {
            case FullTypeDef.AttrOneofCase.S:
                w.Field("s", Str(t.S));
                break;
            case FullTypeDef.AttrOneofCase.I:
                w.Field("i", Int(t.I));
                break;
            default:
                break;
        }
    }

    private static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Bool(bool b) => b ? "true" : "false";

    /// <summary>Python's shortest float32 repr without a trailing <c>.0</c>; <c>inf</c>, <c>-inf</c>, <c>nan</c>.</summary>
    private static string Float(float f)
    {
        if (float.IsNaN(f))
        {
            return "nan";
        }

        if (float.IsInfinity(f))
        {
            return f > 0 ? "inf" : "-inf";
        }

        return f.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
    }

    private static string Double(double d)
    {
        if (double.IsNaN(d))
        {
            return "nan";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }

        return d.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
    }

    /// <summary>Enum values by their proto name (DT_FLOAT, TFT_PRODUCT); unnamed numbers as numbers.</summary>
    private static string Enum<T>(T value)
        where T : struct, System.Enum
    {
        string? name = value switch
        {
            DataType d => d switch
            {
                DataType.DtInvalid => "DT_INVALID",
                DataType.DtFloat => "DT_FLOAT",
                DataType.DtDouble => "DT_DOUBLE",
                DataType.DtInt32 => "DT_INT32",
                DataType.DtUint8 => "DT_UINT8",
                DataType.DtInt16 => "DT_INT16",
                DataType.DtInt8 => "DT_INT8",
                DataType.DtString => "DT_STRING",
                DataType.DtComplex64 => "DT_COMPLEX64",
                DataType.DtInt64 => "DT_INT64",
                DataType.DtBool => "DT_BOOL",
                DataType.DtQint8 => "DT_QINT8",
                _ => null,
            },
            FullTypeId f => f switch
            {
                FullTypeId.TftUnset => "TFT_UNSET",
                FullTypeId.TftProduct => "TFT_PRODUCT",
                FullTypeId.TftInt32 => "TFT_INT32",
                FullTypeId.TftShapeTensor => "TFT_SHAPE_TENSOR",
                _ => null,
            },
            _ => null,
        };
        return name ?? Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
    }

    private static string Str(string s) => Bytes(ByteString.CopyFromUtf8(s));

    /// <summary>C escaping as Python's <c>text_format</c> writes bytes: \n \r \t \" \' \\ and octal for the rest outside printable ASCII.</summary>
    private static string Bytes(ByteString bytes)
    {
        var sb = new StringBuilder(bytes.Length + 2).Append('"');
        foreach (byte b in bytes.Span)
        {
            switch (b)
            {
                case (byte)'\n': sb.Append("\\n"); break;
                case (byte)'\r': sb.Append("\\r"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                case (byte)'"': sb.Append("\\\""); break;
                case (byte)'\'': sb.Append("\\'"); break;
                case (byte)'\\': sb.Append("\\\\"); break;
                default:
                    if (b is >= 32 and < 127)
                    {
                        sb.Append((char)b);
                    }
                    else
                    {
                        sb.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    private sealed class TextWriter
    {
        private readonly StringBuilder _sb = new();
        private int _indent;

        public void Field(string name, string value) => Indent().Append(name).Append(": ").Append(value).Append('\n');

        public void Open(string name)
        {
            Indent().Append(name).Append(" {\n");
            _indent++;
        }

        public void Close()
        {
            _indent--;
            Indent().Append("}\n");
        }

        public override string ToString() => _sb.ToString();

        private StringBuilder Indent() => _sb.Append(' ', 2 * _indent);
    }
}
