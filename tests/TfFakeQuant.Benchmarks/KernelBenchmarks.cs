using BenchmarkDotNet.Attributes;
using TfFakeQuant.Kernels;

namespace TfFakeQuant.Benchmarks;

/// <summary>
/// Per-channel gradient and forward (span API) against the scalar reference and the bandwidth
/// yardstick <c>TensorPrimitives.Multiply(g, x, out)</c> (same element count, two reads + one
/// write), on 1 and 2 threads. Run: <c>dotnet run -c Release --project tests/TfFakeQuant.Benchmarks -- --filter '*PerChannel*'</c>.
/// </summary>
[MemoryDiagnoser]
public class PerChannelBenchmarks
{
    private Shapes.Data _data = null!;

    public static IEnumerable<string> ShapeValues => Shapes.All;

    [ParamsSource(nameof(ShapeValues))]
    public string Shape { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new Shapes.Data(Shape);
        FakeQuant.MaxDegreeOfParallelism = Threads;
    }

    [Benchmark(Baseline = true)]
    public void Yardstick()
    {
        if (Threads == 1)
        {
            _data.Yardstick();
        }
        else
        {
            _data.Yardstick2();
        }
    }

    [Benchmark]
    public void Gradient() => _data.Gradient();

    [Benchmark]
    public void Forward() => _data.Forward();

    [Benchmark]
    public void ReferenceGradient() => _data.ReferenceGradient();
}

/// <summary>The per-tensor ops (Args, ArgsGradient, Vars, VarsGradient) on 1M and 16M elements.</summary>
[MemoryDiagnoser]
public class PerTensorBenchmarks
{
    private float[] _x = [], _g = [], _out = [];

    [Params(1 << 20, 1 << 24)]
    public int Length { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _x = new float[Length];
        _g = new float[Length];
        _out = new float[Length];
        for (int i = 0; i < Length; i++)
        {
            _x[i] = (float)((rng.NextDouble() * 2.4) - 1.2);
            _g[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        FakeQuant.MaxDegreeOfParallelism = Threads;
    }

    [Benchmark(Baseline = true)]
    public void Yardstick() => System.Numerics.Tensors.TensorPrimitives.Multiply(_g, _x, _out);

    [Benchmark]
    public void Args() => FakeQuant.Args(_x, -1f, 1f, 8, false, _out);

    [Benchmark]
    public void ArgsGradient() => FakeQuant.ArgsGradient(_g, _x, -1f, 1f, 8, false, _out);

    [Benchmark]
    public void Vars() => FakeQuant.Vars(_x, -1f, 1f, 8, false, _out);

    [Benchmark]
    public float VarsGradient()
    {
        FakeQuant.VarsGradient(_g, _x, -1f, 1f, 8, false, _out, out float a, out float b);
        return a + b;
    }
}

/// <summary>
/// The small-call cost and allocations: a [3,3,16,16] per-channel gradient and forward (2,304
/// elements, 16 channels), one thread. Run: <c>dotnet run -c Release --project tests/TfFakeQuant.Benchmarks -- --filter '*SmallCall*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class SmallCallBenchmarks
{
    private readonly Shapes.Data _data = new("3x3x16x16");

    [Benchmark]
    public void Gradient() => _data.Gradient();

    [Benchmark]
    public void Forward() => _data.Forward();

    [Benchmark(Baseline = true)]
    public void Yardstick() => _data.Yardstick();
}
