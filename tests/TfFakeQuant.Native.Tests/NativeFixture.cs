using System.Runtime.CompilerServices;

namespace TfFakeQuant.Native.Tests;

/// <summary>What every live test calls first: skip with the resolver's diagnostics when no TensorFlow C library is found.</summary>
internal static class TensorFlowRequired
{
    public const string RequireVariable = "REQUIRE_TENSORFLOW";

    /// <summary>Assert.Ignore (or Assert.Fail with REQUIRE_TENSORFLOW=1) when TensorFlow is absent.</summary>
    private static readonly Lazy<(bool Loaded, string Diagnostics)> Probe = new(() => (TensorFlowRuntime.TryLoad(out string d), d));

    public static void Ensure()
    {
        (bool loaded, string diagnostics) = Probe.Value;
        if (loaded)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
        {
            Assert.Fail($"{RequireVariable}=1 but no TensorFlow C library was found. {diagnostics}");
        }

        Assert.Ignore($"No TensorFlow C library: skipped. {diagnostics}");
    }
}

/// <summary>Shared helpers for the live tests.</summary>
internal static class Live
{
    /// <summary>Managed outputs by OpDef output name.</summary>
    public static Dictionary<string, FloatTensor> Named(FakeQuantOpDef op, IReadOnlyList<FloatTensor> outputs) =>
        op.OutputNames.Zip(outputs).ToDictionary(p => p.First, p => p.Second);

    /// <summary>Asserts two tensors are bitwise equal (any NaN matches any NaN).</summary>
    public static void BitwiseEqual(FloatTensor actual, FloatTensor expected, string what)
    {
        Assert.That(actual.Shape, Is.EqualTo(expected.Shape), $"{what}: shape");
        for (int i = 0; i < expected.Length; i++)
        {
            if (!ParityAssert.BitwiseEqual(actual[i], expected[i]))
            {
                Assert.Fail($"{what}[{i}]: {actual[i]:R} (0x{BitConverter.SingleToInt32Bits(actual[i]):X8}) != {expected[i]:R} (0x{BitConverter.SingleToInt32Bits(expected[i]):X8})");
            }
        }
    }

    /// <summary>The text this library gives for a case TensorFlow aborted on.</summary>
    public const string RankZeroText = "Shape must be at least rank 1 but is rank 0";

    /// <summary>The managed op's error text for these inputs, or null when it succeeds.</summary>
    public static string? ManagedError(FakeQuantOpDef op, FloatTensor[] inputs, FakeQuantAttrs attrs, string? nodeName = null)
    {
        try
        {
            FakeQuantOps.Execute(op, inputs, attrs, nodeName);
            return null;
        }
        catch (InvalidArgumentException e)
        {
            return e.Message;
        }
    }

    /// <summary>The node name of a recorded graph case: the C API recordings named it "fq"; Python's graph builder used the op type.</summary>
    public static string NodeName(ParityCase c) => c.Path == "graph" ? c.Op : "fq";

    public static string CaseName(ParityCase c, [CallerMemberName] string? test = null) => $"{test}:{c.Path}:{c.Id}";
}
