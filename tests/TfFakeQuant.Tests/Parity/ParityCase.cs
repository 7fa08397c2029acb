using System.Text.Json;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Tests.Parity;

/// <summary>One recorded TensorFlow case of <c>manifest.json</c> (see FORMAT.md next to the data).</summary>
public sealed class ParityCase
{
    private readonly string _root;

    private ParityCase(string root, JsonElement json)
    {
        _root = root;
        Json = json;
        Id = json.GetProperty("id").GetString()!;
        Op = json.GetProperty("op").GetString()!;
        Path = json.GetProperty("path").GetString()!;
        JsonElement attrs = json.GetProperty("attrs");
        Attrs = new FakeQuantAttrs(
            attrs.GetProperty("num_bits").GetInt64(),
            attrs.GetProperty("narrow_range").GetBoolean(),
            attrs.TryGetProperty("min", out JsonElement min) ? ReadFloat(min) : FakeQuantCatalog.DefaultMin,
            attrs.TryGetProperty("max", out JsonElement max) ? ReadFloat(max) : FakeQuantCatalog.DefaultMax);
        InputFiles = json.GetProperty("inputs").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        JsonElement expect = json.GetProperty("expect");
        if (expect.TryGetProperty("error", out JsonElement error))
        {
            ErrorType = error.GetProperty("type").GetString();
            ErrorMessage = error.GetProperty("message").GetString();
        }
        else
        {
            OutputFiles = expect.GetProperty("outputs").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        }

        ExactReductions = json.TryGetProperty("exact_reductions", out JsonElement exact) && exact.GetBoolean();
        EagerDiffers = json.TryGetProperty("eager_differs", out JsonElement differs) && differs.GetBoolean();
        if (json.TryGetProperty("reduction", out JsonElement reduction))
        {
            ReductionTerms = reduction.GetProperty("terms").GetInt64();
            SumAbs = reduction.GetProperty("sum_abs").EnumerateArray().Select(ReadDouble).ToArray();
        }
    }

    public JsonElement Json { get; }

    public string Id { get; }

    public string Op { get; }

    /// <summary><c>eager</c>, <c>graph</c>, <c>capi</c> or <c>tape</c>.</summary>
    public string Path { get; }

    public FakeQuantAttrs Attrs { get; }

    public IReadOnlyDictionary<string, string> InputFiles { get; }

    public IReadOnlyDictionary<string, string>? OutputFiles { get; }

    public string? ErrorType { get; }

    public string? ErrorMessage { get; }

    public bool IsError => ErrorType is not null;

    public bool ExactReductions { get; }

    public bool EagerDiffers { get; }

    public long ReductionTerms { get; }

    public double[]? SumAbs { get; }

    /// <summary>Loads the named input as a tensor.</summary>
    public FloatTensor Input(string name) => Load(InputFiles[name]);

    /// <summary>Loads the named expected output as a tensor.</summary>
    public FloatTensor Expected(string name) => Load(OutputFiles![name]);

    /// <summary>The inputs in the op's OpDef order.</summary>
    public FloatTensor[] OpInputs() => FakeQuantCatalog.Get(Op).InputNames.Select(Input).ToArray();

    private FloatTensor Load(string relative)
    {
        (long[] shape, float[] data) = Npy.ReadFloat32(System.IO.Path.Combine(_root, relative));
        return new FloatTensor(TensorShape.Of(shape), data);
    }

    public override string ToString() => Id;

    private static float ReadFloat(JsonElement e) => (float)ReadDouble(e);

    private static double ReadDouble(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            var s => throw new InvalidDataException($"Unexpected number text '{s}'"),
        }
        : e.GetDouble();

    /// <summary>Reads every case of a case folder.</summary>
    public static IReadOnlyList<ParityCase> LoadAll(string root)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(System.IO.Path.Combine(root, "manifest.json")));
        if (doc.RootElement.GetProperty("format").GetInt32() != 1)
        {
            throw new InvalidDataException("Only format 1 case sets are understood.");
        }

        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => new ParityCase(root, c.Clone())).ToList();
    }
}

/// <summary>
/// The case folder the suite checks: <c>TFFQ_PARITY_DIR</c> when set, else the copy of
/// TensorFlow 2.21.0's recorded cases shipped next to the tests.
/// </summary>
public static class ParityData
{
    public const string EnvironmentVariable = "TFFQ_PARITY_DIR";

    public static string Root
    {
        get
        {
            string? fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
            return string.IsNullOrEmpty(fromEnv)
                ? System.IO.Path.Combine(AppContext.BaseDirectory, "Parity", "tf-2.21.0")
                : System.IO.Path.GetFullPath(fromEnv);
        }
    }

    private static readonly Lazy<IReadOnlyList<ParityCase>> AllCases = new(() => ParityCase.LoadAll(Root));

    public static IReadOnlyList<ParityCase> Cases => AllCases.Value;
}
