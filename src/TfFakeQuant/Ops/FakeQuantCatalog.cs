using System.Collections.Frozen;

namespace TfFakeQuant.Ops;

/// <summary>The six ops of the family.</summary>
public enum FakeQuantOpKind
{
    /// <summary>FakeQuantWithMinMaxArgs.</summary>
    Args,

    /// <summary>FakeQuantWithMinMaxArgsGradient.</summary>
    ArgsGradient,

    /// <summary>FakeQuantWithMinMaxVars.</summary>
    Vars,

    /// <summary>FakeQuantWithMinMaxVarsGradient.</summary>
    VarsGradient,

    /// <summary>FakeQuantWithMinMaxVarsPerChannel.</summary>
    VarsPerChannel,

    /// <summary>FakeQuantWithMinMaxVarsPerChannelGradient.</summary>
    VarsPerChannelGradient,
}

/// <summary>TensorFlow's type names of op attributes (as in an <c>OpDef</c>).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "Members mirror TensorFlow's OpDef attr type names.")]
public enum AttrType
{
    /// <summary><c>int</c> (an int64 in the wire format).</summary>
    Int,

    /// <summary><c>float</c>.</summary>
    Float,

    /// <summary><c>bool</c>.</summary>
    Bool,
}

/// <summary>One attribute of an op definition.</summary>
/// <param name="Name">TensorFlow's attr name, for example <c>num_bits</c>.</param>
/// <param name="Type">The attr type.</param>
/// <param name="DefaultValue">The default: a <see cref="long"/>, <see cref="float"/> or <see cref="bool"/>.</param>
public sealed record AttrDefinition(string Name, AttrType Type, object DefaultValue);

/// <summary>
/// One op of the family as TensorFlow 2.21 registers it (its <c>OpDef</c>): name, input and
/// output argument names (all <c>DT_FLOAT</c>), attributes with defaults, and how it relates to
/// the rest of the family.
/// </summary>
public sealed class FakeQuantOpDef
{
    internal FakeQuantOpDef(FakeQuantOpKind kind, string name, string[] inputs, string[] outputs, AttrDefinition[] attrs)
    {
        Kind = kind;
        Name = name;
        InputNames = inputs;
        OutputNames = outputs;
        Attrs = attrs;
    }

    /// <summary>Which op this is.</summary>
    public FakeQuantOpKind Kind { get; }

    /// <summary>TensorFlow's op type name, for example <c>FakeQuantWithMinMaxVarsPerChannelGradient</c>.</summary>
    public string Name { get; }

    /// <summary>Input argument names in order.</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>Output argument names in order.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Attributes in OpDef order.</summary>
    public IReadOnlyList<AttrDefinition> Attrs { get; }

    /// <summary>Whether this is one of the three gradient ops (registered not differentiable).</summary>
    public bool IsGradient => Kind is FakeQuantOpKind.ArgsGradient or FakeQuantOpKind.VarsGradient or FakeQuantOpKind.VarsPerChannelGradient;

    /// <summary>Whether <c>min</c>/<c>max</c> are float attrs (Args ops) rather than input tensors.</summary>
    public bool HasRangeAttrs => Kind is FakeQuantOpKind.Args or FakeQuantOpKind.ArgsGradient;

    /// <summary>Whether the range is per channel (last dimension).</summary>
    public bool IsPerChannel => Kind is FakeQuantOpKind.VarsPerChannel or FakeQuantOpKind.VarsPerChannelGradient;

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>
/// The catalogue of the six ops, transcribed from TensorFlow 2.21's registered OpDefs
/// (<c>opdefs.pbtxt</c> of the recorded parity set). Graph, eager and native code read op
/// names, argument names and attr defaults from here.
/// </summary>
public static class FakeQuantCatalog
{
    /// <summary>Op type names.</summary>
    public const string ArgsName = "FakeQuantWithMinMaxArgs",
        ArgsGradientName = "FakeQuantWithMinMaxArgsGradient",
        VarsName = "FakeQuantWithMinMaxVars",
        VarsGradientName = "FakeQuantWithMinMaxVarsGradient",
        VarsPerChannelName = "FakeQuantWithMinMaxVarsPerChannel",
        VarsPerChannelGradientName = "FakeQuantWithMinMaxVarsPerChannelGradient";

    /// <summary>Default of the <c>num_bits</c> attr.</summary>
    public const int DefaultNumBits = 8;

    /// <summary>Default of the Args ops' <c>min</c> attr.</summary>
    public const float DefaultMin = -6f;

    /// <summary>Default of the Args ops' <c>max</c> attr.</summary>
    public const float DefaultMax = 6f;

    private static readonly AttrDefinition NumBits = new("num_bits", AttrType.Int, (long)DefaultNumBits);
    private static readonly AttrDefinition NarrowRange = new("narrow_range", AttrType.Bool, false);
    private static readonly AttrDefinition MinAttr = new("min", AttrType.Float, DefaultMin);
    private static readonly AttrDefinition MaxAttr = new("max", AttrType.Float, DefaultMax);

    /// <summary>FakeQuantWithMinMaxArgs(inputs) → outputs; attrs min, max, num_bits, narrow_range.</summary>
    public static FakeQuantOpDef Args { get; } = new(FakeQuantOpKind.Args, ArgsName,
        ["inputs"], ["outputs"], [MinAttr, MaxAttr, NumBits, NarrowRange]);

    /// <summary>FakeQuantWithMinMaxArgsGradient(gradients, inputs) → backprops.</summary>
    public static FakeQuantOpDef ArgsGradient { get; } = new(FakeQuantOpKind.ArgsGradient, ArgsGradientName,
        ["gradients", "inputs"], ["backprops"], [MinAttr, MaxAttr, NumBits, NarrowRange]);

    /// <summary>FakeQuantWithMinMaxVars(inputs, min, max) → outputs.</summary>
    public static FakeQuantOpDef Vars { get; } = new(FakeQuantOpKind.Vars, VarsName,
        ["inputs", "min", "max"], ["outputs"], [NumBits, NarrowRange]);

    /// <summary>FakeQuantWithMinMaxVarsGradient(gradients, inputs, min, max) → three backprops.</summary>
    public static FakeQuantOpDef VarsGradient { get; } = new(FakeQuantOpKind.VarsGradient, VarsGradientName,
        ["gradients", "inputs", "min", "max"], ["backprops_wrt_input", "backprop_wrt_min", "backprop_wrt_max"], [NumBits, NarrowRange]);

    /// <summary>FakeQuantWithMinMaxVarsPerChannel(inputs, min, max) → outputs.</summary>
    public static FakeQuantOpDef VarsPerChannel { get; } = new(FakeQuantOpKind.VarsPerChannel, VarsPerChannelName,
        ["inputs", "min", "max"], ["outputs"], [NumBits, NarrowRange]);

    /// <summary>FakeQuantWithMinMaxVarsPerChannelGradient(gradients, inputs, min, max) → three backprops.</summary>
    public static FakeQuantOpDef VarsPerChannelGradient { get; } = new(FakeQuantOpKind.VarsPerChannelGradient, VarsPerChannelGradientName,
        ["gradients", "inputs", "min", "max"], ["backprops_wrt_input", "backprop_wrt_min", "backprop_wrt_max"], [NumBits, NarrowRange]);

    /// <summary>All six, in TensorFlow's registration order.</summary>
    public static IReadOnlyList<FakeQuantOpDef> All { get; } = [Args, ArgsGradient, Vars, VarsGradient, VarsPerChannel, VarsPerChannelGradient];

    private static readonly FrozenDictionary<string, FakeQuantOpDef> ByName = All.ToFrozenDictionary(o => o.Name, StringComparer.Ordinal);

    /// <summary>Looks an op up by its TensorFlow type name.</summary>
    /// <param name="name">For example <c>FakeQuantWithMinMaxVars</c>.</param>
    /// <param name="op">The definition, when found.</param>
    /// <returns>Whether <paramref name="name"/> is one of the six.</returns>
    public static bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out FakeQuantOpDef? op) =>
        ByName.TryGetValue(name, out op);

    /// <summary>Looks an op up by its TensorFlow type name.</summary>
    /// <param name="name">For example <c>FakeQuantWithMinMaxVars</c>.</param>
    /// <returns>The definition.</returns>
    /// <exception cref="KeyNotFoundException">Not one of the six.</exception>
    public static FakeQuantOpDef Get(string name) =>
        TryGet(name, out FakeQuantOpDef? op) ? op : throw new KeyNotFoundException($"'{name}' is not a FakeQuant op.");

    /// <summary>The definition of <paramref name="kind"/>.</summary>
    /// <param name="kind">Which op.</param>
    /// <returns>Its definition.</returns>
    public static FakeQuantOpDef Get(FakeQuantOpKind kind) => All[(int)kind];

    /// <summary>The gradient op TensorFlow's Python gradient registry uses for a forward op, or null for a gradient op.</summary>
    /// <param name="forward">A forward op.</param>
    /// <returns>The gradient op's definition.</returns>
    public static FakeQuantOpDef? GradientOf(FakeQuantOpDef forward) => forward.Kind switch
    {
        FakeQuantOpKind.Args => ArgsGradient,
        FakeQuantOpKind.Vars => VarsGradient,
        FakeQuantOpKind.VarsPerChannel => VarsPerChannelGradient,
        _ => null,
    };
}

/// <summary>The attribute values of one FakeQuant node.</summary>
/// <param name="NumBits">Bit width, valid 2..16 (int64 in the wire format).</param>
/// <param name="NarrowRange">Lowest level 1 instead of 0.</param>
/// <param name="Min">Args ops only: range minimum.</param>
/// <param name="Max">Args ops only: range maximum.</param>
public sealed record FakeQuantAttrs(long NumBits = FakeQuantCatalog.DefaultNumBits, bool NarrowRange = false,
    float Min = FakeQuantCatalog.DefaultMin, float Max = FakeQuantCatalog.DefaultMax)
{
    /// <summary>TensorFlow's defaults: num_bits 8, narrow_range false, min -6, max 6.</summary>
    public static FakeQuantAttrs Default { get; } = new();

    /// <summary>
    /// Reads attrs from a by-name dictionary (a NodeDef's attr map, a gradient's attrs); missing
    /// entries take TensorFlow's defaults. <c>num_bits</c> may be any integer type.
    /// </summary>
    /// <param name="attrs">Attr values by TensorFlow attr name.</param>
    /// <returns>The attrs.</returns>
    /// <exception cref="ArgumentException">An attr has the wrong type.</exception>
    public static FakeQuantAttrs FromDictionary(IReadOnlyDictionary<string, object> attrs)
    {
        ArgumentNullException.ThrowIfNull(attrs);
        return new FakeQuantAttrs(
            attrs.TryGetValue("num_bits", out object? n) ? n switch
            {
                long l => l,
                int i => i,
                _ => throw new ArgumentException($"num_bits must be an int attr, got {n?.GetType().Name ?? "null"}.", nameof(attrs)),
            } : FakeQuantCatalog.DefaultNumBits,
            attrs.TryGetValue("narrow_range", out object? b) ? b as bool? ?? throw new ArgumentException("narrow_range must be a bool attr.", nameof(attrs)) : false,
            attrs.TryGetValue("min", out object? lo) ? lo as float? ?? throw new ArgumentException("min must be a float attr.", nameof(attrs)) : FakeQuantCatalog.DefaultMin,
            attrs.TryGetValue("max", out object? hi) ? hi as float? ?? throw new ArgumentException("max must be a float attr.", nameof(attrs)) : FakeQuantCatalog.DefaultMax);
    }

    /// <summary>The attrs <paramref name="op"/> carries, by TensorFlow attr name, in OpDef order.</summary>
    /// <param name="op">The op (Args ops also carry min and max).</param>
    /// <returns>A new dictionary: num_bits as <see cref="long"/>, narrow_range as <see cref="bool"/>, min/max as <see cref="float"/>.</returns>
    public Dictionary<string, object> ToDictionary(FakeQuantOpDef op)
    {
        ArgumentNullException.ThrowIfNull(op);
        var d = new Dictionary<string, object>(StringComparer.Ordinal);
        if (op.HasRangeAttrs)
        {
            d["min"] = Min;
            d["max"] = Max;
        }

        d["num_bits"] = NumBits;
        d["narrow_range"] = NarrowRange;
        return d;
    }
}
