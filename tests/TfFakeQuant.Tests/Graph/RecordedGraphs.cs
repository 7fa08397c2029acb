using System.Text.Json;
using TfFakeQuant.Graph.Proto;
using TfFakeQuant.Ops;
using TfFakeQuant.Tests.Parity;

namespace TfFakeQuant.Tests.Graph;

/// <summary>One sample of <c>nodedefs.json</c>: TensorFlow's NodeDefs / GraphDef of a per-channel pair.</summary>
public sealed record NodeDefSample(int Index, long NumBits, bool NarrowRange, TensorShape InputShape, JsonElement Json)
{
    public string Id => $"nodedefs[{Index}]_b{NumBits}_{(NarrowRange ? "narrow" : "wide")}_{InputShape}";

    public byte[] Hex(string key) => Convert.FromHexString(Json.GetProperty(key).GetString()!);

    public override string ToString() => Id;
}

/// <summary>One sample of <c>graph_gradients.json</c>: the GraphDef TF2's <c>tf.gradients</c> built.</summary>
public sealed record GradientSample(string Forward, bool GradYs, string[] GradientTensors, byte[] GraphDefBytes, string GraphDefText)
{
    public string Id => $"graph_gradients_{Forward}_{(GradYs ? "grad_ys" : "no_grad_ys")}";

    public override string ToString() => Id;
}

public static class RecordedGraphs
{
    private static readonly Lazy<NodeDefSample[]> NodeDefsLazy = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(ParityData.Root, "nodedefs.json")));
        return doc.RootElement.EnumerateArray().Select((e, i) => new NodeDefSample(i,
            e.GetProperty("num_bits").GetInt64(),
            e.GetProperty("narrow_range").GetBoolean(),
            TensorShape.Of(e.GetProperty("input_shape").EnumerateArray().Select(d => d.GetInt64()).ToArray()),
            e.Clone())).ToArray();
    });

    private static readonly Lazy<GradientSample[]> GradientsLazy = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(ParityData.Root, "graph_gradients.json")));
        return doc.RootElement.EnumerateArray().Select(e => new GradientSample(
            e.GetProperty("forward").GetString()!,
            e.GetProperty("grad_ys").GetBoolean(),
            e.GetProperty("gradient_tensors").EnumerateArray().Select(t => t.GetString()!).ToArray(),
            Convert.FromHexString(e.GetProperty("graphdef_hex").GetString()!),
            e.GetProperty("graphdef_text").GetString()!)).ToArray();
    });

    public static IReadOnlyList<NodeDefSample> NodeDefs => NodeDefsLazy.Value;

    public static IReadOnlyList<GradientSample> Gradients => GradientsLazy.Value;

    /// <summary>A recorded shape list entry: null = unknown rank; null or -1 dims = unknown.</summary>
    public static TensorShape Shape(JsonElement e) => e.ValueKind == JsonValueKind.Null
        ? TensorShape.Unknown
        : TensorShape.Of(e.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Null ? TensorShape.UnknownDim : d.GetInt64()).ToArray());

    /// <summary>Describes the first difference of two GraphDefs node by node (names, ops, inputs, attrs, experimental_type).</summary>
    public static List<string> Differences(GraphDef ours, GraphDef tf)
    {
        var diffs = new List<string>();
        if (ours.Node.Count != tf.Node.Count)
        {
            diffs.Add($"node count {ours.Node.Count} != TensorFlow's {tf.Node.Count}: ours [{string.Join(", ", ours.Node.Select(n => n.Name))}], TF [{string.Join(", ", tf.Node.Select(n => n.Name))}]");
        }

        for (int i = 0; i < Math.Min(ours.Node.Count, tf.Node.Count); i++)
        {
            NodeDef a = ours.Node[i], b = tf.Node[i];
            if (a.Name != b.Name || a.Op != b.Op)
            {
                diffs.Add($"node {i}: {a.Name} ({a.Op}) != TensorFlow's {b.Name} ({b.Op})");
                continue;
            }

            if (!a.Input.SequenceEqual(b.Input))
            {
                diffs.Add($"{a.Name}: inputs [{string.Join(", ", a.Input)}] != [{string.Join(", ", b.Input)}]");
            }

            var keys = a.Attr.Keys.Union(b.Attr.Keys).OrderBy(k => k, StringComparer.Ordinal);
            foreach (string k in keys)
            {
                a.Attr.TryGetValue(k, out AttrValue? va);
                b.Attr.TryGetValue(k, out AttrValue? vb);
                if (!Equals(va, vb))
                {
                    diffs.Add($"{a.Name}: attr {k} = {va} != TensorFlow's {vb}");
                }
            }

            if (!Equals(a.ExperimentalType, b.ExperimentalType))
            {
                diffs.Add($"{a.Name}: experimental_type {a.ExperimentalType} != {b.ExperimentalType}");
            }

            if (a.Device != b.Device)
            {
                diffs.Add($"{a.Name}: device '{a.Device}' != '{b.Device}'");
            }
        }

        if (!Equals(ours.Versions, tf.Versions))
        {
            diffs.Add($"versions {ours.Versions} != {tf.Versions}");
        }

        return diffs;
    }
}
