using System.Globalization;
using System.Text;
using Google.Protobuf;
using TfFakeQuant.Graph.Proto;

namespace TfFakeQuant.Graph;

/// <summary>
/// A parser for TensorFlow's text format of a GraphDef (<c>.pbtxt</c>, protobuf text format):
/// the fields of the messages this library models; <c># comments</c>, <c>field: [a, b]</c>
/// lists, <c>&lt; &gt;</c> brackets, C escapes in strings. Anything else is an
/// <see cref="InvalidDataException"/> naming the line.
/// </summary>
internal sealed class GraphDefTextParser
{
    private const int MaxDepth = 100;
    private readonly string _text;
    private int _pos;
    private int _line = 1;

    private GraphDefTextParser(string text) => _text = text;

    public static GraphDef Parse(string text)
    {
        var p = new GraphDefTextParser(text);
        List<Field> fields = p.ReadFields(0, null);
        var g = new GraphDef();
        foreach (Field f in fields)
        {
            switch (f.Name)
            {
                case "node": g.Node.Add(ToNode(f.Msg(), 0)); break;
                case "version": g.Version = (int)f.Int(int.MinValue, int.MaxValue); break;
                case "versions": g.Versions = ToVersions(f.Msg()); break;
                default: throw f.Unknown("GraphDef");
            }
        }

        return g;
    }

    // ---- syntax: fields, messages, scalars ----

    private sealed record Field(string Name, int Line, byte[]? Str, string? Token, List<Field>? Children)
    {
        public List<Field> Msg() => Children ?? throw Error("a message { ... }");

        public byte[] Bytes() => Str ?? throw Error("a string");

        public string Text() => Encoding.UTF8.GetString(Bytes());

        public long Int(long min, long max)
        {
            string t = Token ?? throw Error("an integer");
            bool neg = t.StartsWith('-');
            string body = neg ? t[1..] : t;
            bool ok = body.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? ulong.TryParse(body.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong u)
                : ulong.TryParse(body, NumberStyles.None, CultureInfo.InvariantCulture, out u);
            if (!ok)
            {
                throw Error("an integer");
            }

            decimal v = neg ? -(decimal)u : u;
            return v < min || v > max ? throw Error($"an integer in [{min}, {max}]") : (long)v;
        }

        public ulong UInt(ulong max)
        {
            string t = Token ?? throw Error("an unsigned integer");
            return ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out ulong u) && u <= max ? u : throw Error("an unsigned integer");
        }

        public double Double()
        {
            string t = (Token ?? throw Error("a number")).ToLowerInvariant();
            if (t.EndsWith('f') && !t.EndsWith("inf", StringComparison.Ordinal))
            {
                t = t[..^1];
            }

            return t switch
            {
                "inf" or "infinity" => double.PositiveInfinity,
                "-inf" or "-infinity" => double.NegativeInfinity,
                "nan" or "-nan" => double.NaN,
                _ => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : throw Error("a number"),
            };
        }

        public float Float() => (float)Double();

        public bool Bool() => Token switch
        {
            "true" or "True" or "t" or "1" => true,
            "false" or "False" or "f" or "0" => false,
            _ => throw Error("true or false"),
        };

        public InvalidDataException Unknown(string message) =>
            new($"Line {Line}: {message} has no field '{Name}' (or the managed reader does not model it).");

        public InvalidDataException Error(string expected) => new($"Line {Line}: field '{Name}' must be {expected}.");
    }

    private List<Field> ReadFields(int depth, char? close)
    {
        if (depth > MaxDepth)
        {
            throw Fail("messages nested more than 100 deep");
        }

        var fields = new List<Field>();
        while (true)
        {
            SkipSpace();
            if (_pos >= _text.Length)
            {
                return close is null ? fields : throw Fail($"missing '{close}'");
            }

            if (close is { } c && _text[_pos] == c)
            {
                _pos++;
                return fields;
            }

            int line = _line;
            string name = ReadIdentifier();
            SkipSpace();
            bool colon = Peek(':');
            if (colon)
            {
                _pos++;
                SkipSpace();
            }

            if (Peek('{') || Peek('<'))
            {
                char end = _text[_pos] == '{' ? '}' : '>';
                _pos++;
                fields.Add(new Field(name, line, null, null, ReadFields(depth + 1, end)));
            }
            else if (!colon)
            {
                throw Fail($"expected ':' or '{{' after '{name}'");
            }
            else if (Peek('['))
            {
                _pos++;
                SkipSpace();
                if (Peek(']'))
                {
                    _pos++;
                }
                else
                {
                    while (true)
                    {
                        SkipSpace();
                        if (Peek('{') || Peek('<'))
                        {
                            char end = _text[_pos] == '{' ? '}' : '>';
                            _pos++;
                            fields.Add(new Field(name, _line, null, null, ReadFields(depth + 1, end)));
                        }
                        else
                        {
                            fields.Add(ReadScalar(name));
                        }

                        SkipSpace();
                        if (Peek(','))
                        {
                            _pos++;
                            continue;
                        }

                        if (Peek(']'))
                        {
                            _pos++;
                            break;
                        }

                        throw Fail("expected ',' or ']'");
                    }
                }
            }
            else
            {
                fields.Add(ReadScalar(name));
            }

            SkipSpace();
            if (Peek(',') || Peek(';'))
            {
                _pos++;
            }
        }
    }

    private Field ReadScalar(string name)
    {
        int line = _line;
        if (Peek('"') || Peek('\''))
        {
            var bytes = new List<byte>();
            while (Peek('"') || Peek('\''))
            {
                ReadString(bytes);
                SkipSpace();
            }

            return new Field(name, line, [.. bytes], null, null);
        }

        int start = _pos;
        while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] is '-' or '+' or '.' or '_'))
        {
            _pos++;
        }

        return _pos == start ? throw Fail($"expected a value for '{name}'") : new Field(name, line, null, _text[start.._pos], null);
    }

    private void ReadString(List<byte> bytes)
    {
        char quote = _text[_pos++];
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] == '\n')
            {
                throw Fail("unterminated string");
            }

            char c = _text[_pos++];
            if (c == quote)
            {
                return;
            }

            if (c != '\\')
            {
                if (c < 0x80)
                {
                    bytes.Add((byte)c);
                }
                else
                {
                    int len = char.IsHighSurrogate(c) && _pos < _text.Length ? 2 : 1;
                    bytes.AddRange(Encoding.UTF8.GetBytes(_text.Substring(_pos - 1, len)));
                    _pos += len - 1;
                }

                continue;
            }

            if (_pos >= _text.Length)
            {
                throw Fail("unterminated string");
            }

            char e = _text[_pos++];
            switch (e)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case 'a': bytes.Add(7); break;
                case 'b': bytes.Add(8); break;
                case 'f': bytes.Add(12); break;
                case 'v': bytes.Add(11); break;
                case '\\': bytes.Add((byte)'\\'); break;
                case '\'': bytes.Add((byte)'\''); break;
                case '"': bytes.Add((byte)'"'); break;
                case '?': bytes.Add((byte)'?'); break;
                case 'x':
                {
                    int start = _pos;
                    while (_pos < _text.Length && _pos - start < 2 && char.IsAsciiHexDigit(_text[_pos]))
                    {
                        _pos++;
                    }

                    bytes.Add(_pos > start ? byte.Parse(_text.AsSpan(start, _pos - start), NumberStyles.HexNumber, CultureInfo.InvariantCulture) : throw Fail("bad \\x escape"));
                    break;
                }

                default:
                    if (e is >= '0' and <= '7')
                    {
                        int v = e - '0';
                        for (int k = 0; k < 2 && _pos < _text.Length && _text[_pos] is >= '0' and <= '7'; k++)
                        {
                            v = (v * 8) + (_text[_pos++] - '0');
                        }

                        bytes.Add(v <= 255 ? (byte)v : throw Fail("octal escape above \\377"));
                        break;
                    }

                    throw Fail($"unknown escape '\\{e}'");
            }
        }
    }

    private string ReadIdentifier()
    {
        int start = _pos;
        while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
        {
            _pos++;
        }

        return _pos > start ? _text[start.._pos] : throw Fail("expected a field name");
    }

    private bool Peek(char c) => _pos < _text.Length && _text[_pos] == c;

    private void SkipSpace()
    {
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c == '\n')
            {
                _line++;
                _pos++;
            }
            else if (char.IsWhiteSpace(c))
            {
                _pos++;
            }
            else if (c == '#')
            {
                while (_pos < _text.Length && _text[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else
            {
                return;
            }
        }
    }

    private InvalidDataException Fail(string what) => new($"Line {_line}: {what}.");

    // ---- schema: fields to messages ----

    private static NodeDef ToNode(List<Field> fields, int depth)
    {
        var n = new NodeDef();
        foreach (Field f in fields)
        {
            switch (f.Name)
            {
                case "name": n.Name = f.Text(); break;
                case "op": n.Op = f.Text(); break;
                case "input": n.Input.Add(f.Text()); break;
                case "device": n.Device = f.Text(); break;
                case "attr":
                {
                    (string key, AttrValue value) = ToAttrEntry(f.Msg(), depth);
                    n.Attr[key] = value;
                    break;
                }

                case "experimental_type": n.ExperimentalType = ToFullType(f.Msg()); break;
                case "experimental_debug_info":
                {
                    var d = new NodeDef.Types.ExperimentalDebugInfo();
                    foreach (Field g in f.Msg())
                    {
                        switch (g.Name)
                        {
                            case "original_node_names": d.OriginalNodeNames.Add(g.Text()); break;
                            case "original_func_names": d.OriginalFuncNames.Add(g.Text()); break;
                            default: throw g.Unknown("ExperimentalDebugInfo");
                        }
                    }

                    n.ExperimentalDebugInfo = d;
                    break;
                }

                default: throw f.Unknown("NodeDef");
            }
        }

        return n;
    }

    private static (string Key, AttrValue Value) ToAttrEntry(List<Field> fields, int depth)
    {
        string key = "";
        AttrValue value = new();
        foreach (Field f in fields)
        {
            switch (f.Name)
            {
                case "key": key = f.Text(); break;
                case "value": value = ToAttrValue(f.Msg(), depth + 1); break;
                default: throw f.Unknown("attr map entry");
            }
        }

        return (key, value);
    }

    private static AttrValue ToAttrValue(List<Field> fields, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidDataException("Attr values nested more than 100 deep.");
        }

        var v = new AttrValue();
        foreach (Field f in fields)
        {
            switch (f.Name)
            {
                case "list": v.List = ToList(f.Msg(), depth); break;
                case "s": v.S = ByteString.CopyFrom(f.Bytes()); break;
                case "i": v.I = f.Int(long.MinValue, long.MaxValue); break;
                case "f": v.F = f.Float(); break;
                case "b": v.B = f.Bool(); break;
                case "type": v.Type = ToDataType(f); break;
                case "shape": v.Shape = ToShape(f.Msg()); break;
                case "tensor": v.Tensor = ToTensor(f.Msg()); break;
                case "placeholder": v.Placeholder = f.Text(); break;
                case "func": v.Func = ToFunc(f.Msg(), depth); break;
                default: throw f.Unknown("AttrValue");
            }
        }

        return v;
    }

    private static AttrValue.Types.ListValue ToList(List<Field> fields, int depth)
    {
        var l = new AttrValue.Types.ListValue();
        foreach (Field f in fields)
        {
            switch (f.Name)
            {
                case "s": l.S.Add(ByteString.CopyFrom(f.Bytes())); break;
                case "i": l.I.Add(f.Int(long.MinValue, long.MaxValue)); break;
                case "f": l.F.Add(f.Float()); break;
                case "b": l.B.Add(f.Bool()); break;
                case "type": l.Type.Add(ToDataType(f)); break;
                case "shape": l.Shape.Add(ToShape(f.Msg())); break;
                case "tensor": l.Tensor.Add(ToTensor(f.Msg())); break;
                case "func": l.Func.Add(ToFunc(f.Msg(), depth)); break;
                default: throw f.Unknown("AttrValue.ListValue");
            }
        }

        return l;
    }

    private static NameAttrList ToFunc(List<Field> fields, int depth)
    {
        var fn = new NameAttrList();
        foreach (Field f in fields)
        {
            switch (f.Name)
            {
                case "name": fn.Name = f.Text(); break;
                case "attr":
                {
                    (string key, AttrValue value) = ToAttrEntry(f.Msg(), depth + 1);
                    fn.Attr[key] = value;
                    break;
                }

                default: throw f.Unknown("NameAttrList");
            }
        }

        return fn;
    }

    private static TensorShapeProto ToShape(List<Field> fields)
    {
        var s = new TensorShapeProto();
        foreach (Field f in fields)
        {
            switch (f.Name)
            {
                case "dim":
                {
                    var d = new TensorShapeProto.Types.Dim();
                    foreach (Field g in f.Msg())
                    {
                        switch (g.Name)
                        {
                            case "size": d.Size = g.Int(long.MinValue, long.MaxValue); break;
                            case "name": d.Name = g.Text(); break;
                            default: throw g.Unknown("TensorShapeProto.Dim");
                        }
                    }

                    s.Dim.Add(d);
                    break;
                }

                case "unknown_rank": s.UnknownRank = f.Bool(); break;
                default: throw f.Unknown("TensorShapeProto");
            }
        }

        return s;
    }

    private static TensorProto ToTensor(List<Field> fields)
    {
        var t = new TensorProto();
        foreach (Field f in fields)
        {
            switch (f.Name)
            {
                case "dtype": t.Dtype = ToDataType(f); break;
                case "tensor_shape": t.TensorShape = ToShape(f.Msg()); break;
                case "version_number": t.VersionNumber = (int)f.Int(int.MinValue, int.MaxValue); break;
                case "tensor_content": t.TensorContent = ByteString.CopyFrom(f.Bytes()); break;
                case "float_val": t.FloatVal.Add(f.Float()); break;
                case "double_val": t.DoubleVal.Add(f.Double()); break;
                case "int_val": t.IntVal.Add((int)f.Int(int.MinValue, int.MaxValue)); break;
                case "string_val": t.StringVal.Add(ByteString.CopyFrom(f.Bytes())); break;
                case "scomplex_val": t.ScomplexVal.Add(f.Float()); break;
                case "int64_val": t.Int64Val.Add(f.Int(long.MinValue, long.MaxValue)); break;
                case "bool_val": t.BoolVal.Add(f.Bool()); break;
                case "dcomplex_val": t.DcomplexVal.Add(f.Double()); break;
                case "half_val": t.HalfVal.Add((int)f.Int(int.MinValue, int.MaxValue)); break;
                case "uint32_val": t.Uint32Val.Add((uint)f.UInt(uint.MaxValue)); break;
                case "uint64_val": t.Uint64Val.Add(f.UInt(ulong.MaxValue)); break;
                case "float8_val": t.Float8Val = ByteString.CopyFrom(f.Bytes()); break;
                default: throw f.Unknown("TensorProto");
            }
        }

        return t;
    }

    private static FullTypeDef ToFullType(List<Field> fields, int depth = 0)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidDataException("Full types nested more than 100 deep.");
        }

        var t = new FullTypeDef();
        foreach (Field f in fields)
        {
            switch (f.Name)
            {
                case "type_id":
                    t.TypeId = f.Token switch
                    {
                        "TFT_UNSET" => FullTypeId.TftUnset,
                        "TFT_PRODUCT" => FullTypeId.TftProduct,
                        "TFT_INT32" => FullTypeId.TftInt32,
                        "TFT_SHAPE_TENSOR" => FullTypeId.TftShapeTensor,
                        _ => (FullTypeId)f.Int(int.MinValue, int.MaxValue),
                    };
                    break;
                case "args": t.Args.Add(ToFullType(f.Msg(), depth + 1)); break;
                case "s": t.S = f.Text(); break;
                case "i": t.I = f.Int(long.MinValue, long.MaxValue); break;
                default: throw f.Unknown("FullTypeDef");
            }
        }

        return t;
    }

    private static VersionDef ToVersions(List<Field> fields)
    {
        var v = new VersionDef();
        foreach (Field f in fields)
        {
            switch (f.Name)
            {
                case "producer": v.Producer = (int)f.Int(int.MinValue, int.MaxValue); break;
                case "min_consumer": v.MinConsumer = (int)f.Int(int.MinValue, int.MaxValue); break;
                case "bad_consumers": v.BadConsumers.Add((int)f.Int(int.MinValue, int.MaxValue)); break;
                default: throw f.Unknown("VersionDef");
            }
        }

        return v;
    }

    private static DataType ToDataType(Field f) => f.Token switch
    {
        "DT_INVALID" => DataType.DtInvalid,
        "DT_FLOAT" => DataType.DtFloat,
        "DT_DOUBLE" => DataType.DtDouble,
        "DT_INT32" => DataType.DtInt32,
        "DT_UINT8" => DataType.DtUint8,
        "DT_INT16" => DataType.DtInt16,
        "DT_INT8" => DataType.DtInt8,
        "DT_STRING" => DataType.DtString,
        "DT_COMPLEX64" => DataType.DtComplex64,
        "DT_INT64" => DataType.DtInt64,
        "DT_BOOL" => DataType.DtBool,
        "DT_QINT8" => DataType.DtQint8,
        _ => (DataType)f.Int(int.MinValue, int.MaxValue),
    };
}
