using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Collections;
using TfFakeQuant.Graph.Proto;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Graph;

/// <summary>
/// Conversions between the library's types and TensorFlow's protobuf messages, and the
/// canonical (deterministic) form TensorFlow serializes: attr map entries sorted by key.
/// </summary>
public static class GraphProtos
{
    /// <summary>
    /// <c>versions.producer</c> written into every GraphDef: TensorFlow 2.21's
    /// <c>TF_GRAPH_DEF_VERSION</c> (2474), so TensorFlow reads the graph as one of its own.
    /// </summary>
    public const int Producer = 2474;

    /// <summary>Converts a shape to a <see cref="TensorShapeProto"/> (unknown rank → <c>unknown_rank: true</c>, unknown dim → -1).</summary>
    /// <param name="shape">The shape.</param>
    /// <returns>A new message.</returns>
    public static TensorShapeProto ToProto(TensorShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var p = new TensorShapeProto();
        if (!shape.IsRankKnown)
        {
            p.UnknownRank = true;
            return p;
        }

        foreach (long d in shape.Dims)
        {
            p.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        }

        return p;
    }

    /// <summary>
    /// An int32 vector as TensorFlow's <c>make_tensor_proto</c> writes it (Python's
    /// <c>constant(list, int32)</c>): shape <c>[n]</c>; the values little-endian in
    /// <c>tensor_content</c> when n &gt; 1, in <c>int_val</c> when n = 1, none when n = 0.
    /// </summary>
    /// <param name="values">The values (each within int32).</param>
    /// <returns>The tensor.</returns>
    internal static TensorProto Int32Vector(IReadOnlyList<long> values)
    {
        var t = new TensorProto { Dtype = DataType.DtInt32, TensorShape = ToProto(TensorShape.Of((long)values.Count)) };
        if (values.Count > 1)
        {
            byte[] bytes = new byte[values.Count * 4];
            for (int i = 0; i < values.Count; i++)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), checked((int)values[i]));
            }

            t.TensorContent = Google.Protobuf.ByteString.CopyFrom(bytes);
        }
        else if (values.Count == 1)
        {
            t.IntVal.Add(checked((int)values[0]));
        }

        return t;
    }

    /// <summary>The values of an int32 vector constant, or null when it is not one (<see cref="Int32Values"/>).</summary>
    /// <param name="t">The tensor.</param>
    /// <returns>The values, or null.</returns>
    internal static long[]? Int32VectorValues(TensorProto? t) =>
        t is { Dtype: DataType.DtInt32 } && FromProto(t.TensorShape) is { Rank: 1 } shape && shape[0] >= 0 && shape[0] <= int.MaxValue
            ? Int32Values(t, (int)shape[0], out _)
            : null;

    /// <summary>
    /// The <paramref name="n"/> values of an int32 tensor as TensorFlow reads them: little-endian
    /// from <c>tensor_content</c>, else from <c>int_val</c> with its last value repeated to fill
    /// (none: zeros).
    /// </summary>
    /// <param name="t">The tensor.</param>
    /// <param name="n">Its element count.</param>
    /// <param name="problem">Why the tensor cannot hold <paramref name="n"/> values (null when it can).</param>
    /// <returns>The values, or null.</returns>
    internal static long[]? Int32Values(TensorProto t, int n, out string? problem)
    {
        problem = null;
        var data = new long[n];
        if (t.TensorContent.Length > 0)
        {
            if (t.TensorContent.Length != (long)n * 4)
            {
                problem = $"tensor_content has {t.TensorContent.Length} bytes for {n} int32 values";
                return null;
            }

            for (int i = 0; i < n; i++)
            {
                data[i] = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(t.TensorContent.Span[(i * 4)..]);
            }

            return data;
        }

        int count = t.IntVal.Count;
        if (count > n)
        {
            problem = $"{count} values for {n} elements";
            return null;
        }

        for (int i = 0; i < n; i++)
        {
            data[i] = count == 0 ? 0 : t.IntVal[Math.Min(i, count - 1)];
        }

        return data;
    }

    /// <summary>Reads a <see cref="TensorShapeProto"/> (a missing message means unknown rank).</summary>
    /// <param name="proto">The message, or null.</param>
    /// <returns>The shape.</returns>
    /// <exception cref="InvalidDataException">A dimension is below -1.</exception>
    public static TensorShape FromProto(TensorShapeProto? proto)
    {
        if (proto is null || proto.UnknownRank)
        {
            return TensorShape.Unknown;
        }

        var dims = new long[proto.Dim.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            long d = proto.Dim[i].Size;
            if (d < TensorShape.UnknownDim)
            {
                throw new InvalidDataException($"Shape dimension {i} has size {d}; sizes are >= 0, or -1 for unknown.");
            }

            dims[i] = d;
        }

        return TensorShape.Of(dims);
    }

    /// <summary>
    /// Converts an attr value of the kinds this library writes: <see cref="long"/>/<see cref="int"/>
    /// (i), <see cref="float"/> (f), <see cref="bool"/> (b), <see cref="string"/> (s),
    /// <see cref="DataType"/> (type), <see cref="TensorShape"/> (shape), <see cref="AttrValue"/> as is.
    /// </summary>
    /// <param name="value">The value.</param>
    /// <returns>An <see cref="AttrValue"/>.</returns>
    /// <exception cref="ArgumentException">An unsupported value type.</exception>
    public static AttrValue ToAttrValue(object value) => value switch
    {
        AttrValue a => a,
        long l => new AttrValue { I = l },
        int i => new AttrValue { I = i },
        float f => new AttrValue { F = f },
        bool b => new AttrValue { B = b },
        string s => new AttrValue { S = ByteString.CopyFromUtf8(s) },
        DataType t => new AttrValue { Type = t },
        TensorShape shape => new AttrValue { Shape = ToProto(shape) },
        null => throw new ArgumentNullException(nameof(value)),
        _ => throw new ArgumentException($"Attr values of type {value.GetType().Name} are not supported.", nameof(value)),
    };

    /// <summary>
    /// Sorts every attr map of <paramref name="graph"/> by key (ordinal), in place, so that
    /// <see cref="MessageExtensions.ToByteArray(IMessage)"/> writes what TensorFlow's deterministic
    /// serialization writes (Google.Protobuf writes map entries in insertion order).
    /// </summary>
    /// <param name="graph">The graph.</param>
    public static void SortAttrMaps(GraphDef graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        foreach (NodeDef node in graph.Node)
        {
            SortAttrMaps(node);
        }
    }

    /// <summary>Sorts the attr map of <paramref name="node"/> (and of nested function attrs) by key, in place.</summary>
    /// <param name="node">The node.</param>
    public static void SortAttrMaps(NodeDef node)
    {
        ArgumentNullException.ThrowIfNull(node);
        SortMap(node.Attr, 0);
    }

    /// <summary>Serializes <paramref name="graph"/> as TensorFlow's deterministic serialization does (sorted attr maps).</summary>
    /// <param name="graph">The graph (its attr maps are sorted in place).</param>
    /// <returns>The wire bytes.</returns>
    public static byte[] ToDeterministicBytes(GraphDef graph)
    {
        SortAttrMaps(graph);
        return graph.ToByteArray();
    }

    /// <summary>Serializes <paramref name="node"/> as TensorFlow's deterministic serialization does (sorted attr map).</summary>
    /// <param name="node">The node (its attr map is sorted in place).</param>
    /// <returns>The wire bytes.</returns>
    public static byte[] ToDeterministicBytes(NodeDef node)
    {
        SortAttrMaps(node);
        return node.ToByteArray();
    }

    private static void SortMap(MapField<string, AttrValue> map, int depth)
    {
        if (depth > 64)
        {
            return;
        }

        foreach (AttrValue v in map.Values)
        {
            if (v.Func is { } f)
            {
                SortMap(f.Attr, depth + 1);
            }
            else if (v.List is { } list)
            {
                foreach (NameAttrList fn in list.Func)
                {
                    SortMap(fn.Attr, depth + 1);
                }
            }
        }

        KeyValuePair<string, AttrValue>[] entries = [.. map];
        bool sorted = true;
        for (int i = 1; i < entries.Length && sorted; i++)
        {
            sorted = string.CompareOrdinal(entries[i - 1].Key, entries[i].Key) < 0;
        }

        if (sorted)
        {
            return;
        }

        Array.Sort(entries, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        map.Clear();
        foreach (KeyValuePair<string, AttrValue> e in entries)
        {
            map.Add(e.Key, e.Value);
        }
    }

    /// <summary>
    /// TensorFlow's node summary appended to a shape-function error:
    /// <c> for '{{node NAME}} = OP[k=v, ...](in, ...)' with input shapes: [..], [..].</c>
    /// </summary>
    internal static string NodeDescription(NodeDef node, IReadOnlyList<TensorShape> inputShapes)
    {
        var sb = new StringBuilder(" for '{{node ").Append(node.Name).Append("}} = ").Append(node.Op);
        KeyValuePair<string, AttrValue>[] attrs = [.. node.Attr];
        Array.Sort(attrs, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        if (attrs.Length > 0)
        {
            sb.Append('[').AppendJoin(", ", attrs.Select(a => a.Key + "=" + Summarize(a.Value))).Append(']');
        }

        sb.Append('(').AppendJoin(", ", node.Input).Append(")' with input shapes: ");
        sb.AppendJoin(", ", inputShapes.Select(s => s.ToString())).Append('.');
        return sb.ToString();
    }

    private static string Summarize(AttrValue v) => v.ValueCase switch
    {
        AttrValue.ValueOneofCase.I => v.I.ToString(CultureInfo.InvariantCulture),
        AttrValue.ValueOneofCase.B => v.B ? "true" : "false",
        AttrValue.ValueOneofCase.F => v.F.ToString("R", CultureInfo.InvariantCulture).ToLowerInvariant(),
        AttrValue.ValueOneofCase.Type => DataTypeName(v.Type),
        AttrValue.ValueOneofCase.S => "\"" + v.S.ToStringUtf8() + "\"",
        AttrValue.ValueOneofCase.Shape => FromProto(v.Shape).ToString(),
        AttrValue.ValueOneofCase.List => "[" + string.Join(", ",
            v.List.S.Select(b => "\"" + b.ToStringUtf8() + "\"")
                .Concat(v.List.I.Select(i => i.ToString(CultureInfo.InvariantCulture)))
                .Concat(v.List.F.Select(f => f.ToString("R", CultureInfo.InvariantCulture).ToLowerInvariant()))
                .Concat(v.List.B.Select(b => b ? "true" : "false"))
                .Concat(v.List.Type.Select(DataTypeName))) + "]",
        _ => v.ValueCase.ToString(),
    };

    /// <summary>TensorFlow's short type name (<c>float</c>, <c>int32</c>, ...).</summary>
    internal static string DataTypeName(DataType t) => t switch
    {
        DataType.DtFloat => "float",
        DataType.DtDouble => "double",
        DataType.DtInt32 => "int32",
        DataType.DtInt64 => "int64",
        DataType.DtBool => "bool",
        DataType.DtString => "string",
        DataType.DtUint8 => "uint8",
        DataType.DtInt8 => "int8",
        DataType.DtInt16 => "int16",
        _ => t.ToString(),
    };
}
