using NumSharp;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Fuzz;

/// <summary>Fuzz targets around the op level: NumSharp overloads, the gradient registry and the shared gradient function.</summary>
internal static class MoreTargets
{
    /// <summary>The NumSharp overloads: random shapes (scalars and empty arrays included) and dtypes.</summary>
    public static void NumSharp(FuzzContext f)
    {
        NDArray Array(long[] dims)
        {
            int[] shape = dims.Select(d => (int)Math.Min(d, 6)).ToArray();
            int n = shape.Aggregate(1, (a, d) => a * d);
            float[] data = f.Floats(n);
            NDArray a = shape.Length == 0 ? NDArray.Scalar(data[0]) : new NDArray(data, new Shape(shape));
            return f.Int(0, 9) switch
            {
                0 => a.astype(np.float64),
                1 => a.astype(np.int32),
                _ => a,
            };
        }

        long[] x = f.Dims(64).Select(d => Math.Min(d, 6)).ToArray();
        long d = x.Length == 0 ? 1 : x[^1];
        long[] r = f.Chance(0.85) ? [d] : f.Dims(8);
        int nb = f.NumBitsInt();
        bool narrow = f.Chance(0.5);
        int which = f.Int(0, 4);
        var results = new List<NDArray>();
        f.Call("FakeQuantOps(NDArray)", () =>
        {
            NDArray xs = Array(x);
            switch (which)
            {
                case 0:
                    results.Add(FakeQuantOps.PerChannel(xs, Array(r), Array(r), nb, narrow));
                    break;
                case 1:
                    var (dx, dMin, dMax) = FakeQuantOps.PerChannelGradient(Array(f.Chance(0.9) ? x : f.Dims(8)), xs, Array(r), Array(r), nb, narrow);
                    results.AddRange([dx, dMin, dMax]);
                    break;
                case 2:
                    results.Add(FakeQuantOps.Vars(xs, Array(f.Chance(0.9) ? [] : r), Array([]), nb, narrow));
                    break;
                case 3:
                    results.Add(FakeQuantOps.Args(xs, f.Float(), f.Float(), nb, narrow));
                    break;
                default:
                    FloatTensor t = FakeQuantOps.ToTensor(xs);
                    NDArray back = FakeQuantOps.ToNDArray(t);
                    if (back.size != xs.size || back.ndim != xs.ndim)
                    {
                        f.Wrong("FakeQuantOps.ToNDArray", $"round trip of shape [{string.Join(",", x)}] gave ndim {back.ndim}, size {back.size}");
                    }

                    break;
            }
        }, ex => ex is InvalidArgumentException);
        foreach (NDArray a in results)
        {
            a.Dispose();
        }
    }

    private static readonly string?[] RegistryNames = ["fuzz_op_0", "fuzz_op_1", "fuzz_op_2", "fuzz_op_3", "", null];

    private sealed class OtherGradient : IGradientFunction
    {
        public static readonly OtherGradient Instance = new();

        public IReadOnlyList<TTensor?> Gradient<TTensor>(IOpEmitter<TTensor> ops, ForwardOp<TTensor> op, IReadOnlyList<TTensor?> outputGradients)
            where TTensor : class => [];
    }

    /// <summary>Registrations and look-ups on the shared gradient registry.</summary>
    public static void GradientRegistry(FuzzContext f)
    {
        string? name = f.Pick(RegistryNames);
        bool bad = string.IsNullOrEmpty(name);
        IGradientFunction fn = f.Chance(0.5) ? OtherGradient.Instance : FakeQuantGradient.Instance;
        bool replace = f.Chance(0.3);
        switch (f.Int(0, 4))
        {
            case 0:
                f.Call("GradientRegistry.Register", () => Ops.GradientRegistry.Register(name!, fn, replace),
                    ex => (bad && ex is ArgumentException) || (!bad && !replace && ex is InvalidOperationException));
                break;
            case 1:
                f.Call("GradientRegistry.RegisterNotDifferentiable", () => Ops.GradientRegistry.RegisterNotDifferentiable(name!, replace),
                    ex => (bad && ex is ArgumentException) || (!bad && !replace && ex is InvalidOperationException));
                break;
            case 2:
                f.Call("GradientRegistry.TryGet", () =>
                {
                    bool found = Ops.GradientRegistry.TryGet(name!, out IGradientFunction? g);
                    if (found && g is null != Ops.GradientRegistry.IsNotDifferentiable(name!))
                    {
                        f.Wrong("GradientRegistry", $"TryGet and IsNotDifferentiable disagree on {name}");
                    }
                }, ex => name is null && ex is ArgumentNullException);
                break;
            default:
                f.Call("GradientRegistry.RegisterFakeQuantGradients", () =>
                {
                    Ops.GradientRegistry.RegisterFakeQuantGradients();
                    foreach (FakeQuantOpDef op in FakeQuantCatalog.All)
                    {
                        bool ok = Ops.GradientRegistry.TryGet(op.Name, out IGradientFunction? g) &&
                                  (op.IsGradient ? g is null : ReferenceEquals(g, FakeQuantGradient.Instance));
                        if (!ok)
                        {
                            f.Wrong("GradientRegistry", $"{op.Name} is not registered as TensorFlow registers it");
                        }
                    }
                }, _ => false);
                break;
        }
    }

    private sealed class RecordingEmitter : IOpEmitter<string>
    {
        public string? OpType;
        public IReadOnlyList<string>? Inputs;
        public IReadOnlyDictionary<string, object>? Attrs;
        public int Outputs = 3;

        public IReadOnlyList<string> Emit(string opType, IReadOnlyList<string> inputs, IReadOnlyDictionary<string, object> attrs)
        {
            OpType = opType;
            Inputs = inputs;
            Attrs = attrs;
            return Enumerable.Range(0, Outputs).Select(i => $"{opType}:{i}").ToArray();
        }
    }

    /// <summary>The one gradient definition, with well-formed and malformed forward ops.</summary>
    public static void GradientFunction(FuzzContext f)
    {
        FakeQuantOpDef op = f.Pick(FakeQuantCatalog.All);
        string type = f.Chance(0.05) ? "Relu" : op.Name;
        var attrs = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (k, v) in new FakeQuantAttrs(f.NumBits(), f.Chance(0.5), f.Float(), f.Float()).ToDictionary(FakeQuantCatalog.Args))
        {
            if (f.Chance(0.97))
            {
                attrs[k] = v;
            }
        }

        string[] inputs = op.InputNames.Select(n => "fwd/" + n).ToArray();
        string?[] grads = f.Chance(0.05) ? [] : op.OutputNames.Select(n => f.Chance(0.05) ? null : "d/" + n).ToArray();
        var emitter = new RecordingEmitter { Outputs = f.Int(0, 3) };
        bool malformed = type != op.Name || op.IsGradient || grads.Length == 0 || grads[0] is null ||
                         !attrs.ContainsKey("num_bits") || !attrs.ContainsKey("narrow_range") ||
                         (op.HasRangeAttrs && (!attrs.ContainsKey("min") || !attrs.ContainsKey("max")));
        f.Call("FakeQuantGradient.Gradient", () =>
        {
            IReadOnlyList<string?> result = FakeQuantGradient.Instance.Gradient(emitter, new ForwardOp<string>(type, "fwd", inputs, ["y"], attrs), grads);
            FakeQuantOpDef? gradOp = FakeQuantCatalog.GradientOf(op);
            if (malformed)
            {
                f.Wrong("FakeQuantGradient.Gradient", $"accepted a malformed forward op ({type})");
            }
            else if (emitter.OpType != gradOp!.Name || emitter.Inputs!.Count != inputs.Length + 1 || emitter.Inputs[0] != grads[0] ||
                     !Equals(emitter.Attrs!["num_bits"], attrs["num_bits"]) || result.Count != emitter.Outputs)
            {
                f.Wrong("FakeQuantGradient.Gradient", $"{op.Name}: emitted {emitter.OpType} with {emitter.Inputs?.Count} inputs");
            }
        }, ex => malformed && ex is KeyNotFoundException or InvalidOperationException or ArgumentException);
    }
}

/// <summary>The lowest public level: <see cref="Quantization.QuantRange"/> and the scalar reference kernels called directly.</summary>
internal static class LowLevelTargets
{
    public static void Reference(FuzzContext f)
    {
        int numBits = f.NumBitsInt();
        bool narrow = f.Chance(0.5);
        bool bitsOk = numBits is >= 2 and <= 16;
        float min = f.Float(), max = f.Float();
        f.Call("QuantRange.Nudge", () =>
        {
            Quantization.QuantRange q = Quantization.QuantRange.Nudge(min, max, numBits, narrow);
            int qmin = narrow ? 1 : 0, qmax = (1 << numBits) - 1;
            if (!bitsOk)
            {
                f.Wrong("QuantRange.Nudge", $"accepted num_bits {numBits}");
            }
            else if (q.ZeroPoint != 0 && (q.ZeroPoint < qmin || q.ZeroPoint > qmax))
            {
                f.Wrong("QuantRange.Nudge", $"zero point {q.ZeroPoint} outside [{qmin}, {qmax}] for [{min:R}, {max:R}]");
            }
        }, ex => !bitsOk && ex is ArgumentOutOfRangeException);

        int channels = f.Int(1, 8), rows = f.Int(0, 16);
        float[] x = f.Floats(rows * channels), y = new float[x.Length];
        float[] mins = f.Floats(channels), maxs = f.Floats(channels);
        f.Call("FakeQuantReference.PerChannel", () =>
        {
            Kernels.FakeQuantReference.PerChannel(x, mins, maxs, numBits, narrow, y);
            if (!bitsOk)
            {
                f.Wrong("FakeQuantReference.PerChannel", $"accepted num_bits {numBits}");
            }
        }, ex => !bitsOk && ex is ArgumentOutOfRangeException);
    }
}
