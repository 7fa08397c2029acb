using NumSharp;
using TfFakeQuant.Eager;

namespace QuantAwareTraining;

/// <summary>
/// A linear regression task the example makes itself: <c>y = x · W* + noise</c> with a known
/// teacher <c>W*</c> of shape [inputs, channels] whose output channels have very different weight
/// scales (geometric from 0.05 to 2) and one large outlier weight each — the situation where
/// per-channel ranges matter and where a range that clips the outliers costs task loss.
/// </summary>
public sealed class RegressionTask
{
    private RegressionTask(int inputs, int channels, float[] teacher, float[] xTrain, float[] yTrain, float[] xTest, float[] yTest)
    {
        Inputs = inputs;
        Channels = channels;
        Teacher = teacher;
        XTrain = xTrain;
        YTrain = yTrain;
        XTest = xTest;
        YTest = yTest;
    }

    /// <summary>Input features of the default task.</summary>
    public const int DefaultInputs = 32;

    /// <summary>Output channels of the default task (the quantization channels).</summary>
    public const int DefaultChannels = 8;

    public int Inputs { get; }

    public int Channels { get; }

    /// <summary>Teacher weights, row-major [inputs, channels] (channel = last dimension, as the per-channel op expects).</summary>
    public float[] Teacher { get; }

    public float[] XTrain { get; }

    public float[] YTrain { get; }

    public float[] XTest { get; }

    public float[] YTest { get; }

    public int TrainRows => XTrain.Length / Inputs;

    public int TestRows => XTest.Length / Inputs;

    /// <summary>Makes the task deterministically from <paramref name="seed"/>.</summary>
    public static RegressionTask Create(int seed, int inputs = DefaultInputs, int channels = DefaultChannels, int trainRows = 2048, int testRows = 512)
    {
        var rng = new Random(seed);
        float[] teacher = new float[inputs * channels];
        for (int c = 0; c < channels; c++)
        {
            float scale = 0.05f * MathF.Pow(40f, channels == 1 ? 0f : c / (float)(channels - 1));
            for (int i = 0; i < inputs; i++)
            {
                teacher[(i * channels) + c] = scale * Gaussian(rng);
            }

            // One outlier per channel, four to six times the channel's scale, either sign.
            int row = rng.Next(inputs);
            float sign = rng.Next(2) == 0 ? -1f : 1f;
            teacher[(row * channels) + c] = sign * scale * (4f + (2f * (float)rng.NextDouble()));
        }

        float[] xTrain = Samples(rng, trainRows * inputs);
        float[] xTest = Samples(rng, testRows * inputs);
        float[] yTrain = Dense.Forward(xTrain, teacher, trainRows, inputs, channels);
        float[] yTest = Dense.Forward(xTest, teacher, testRows, inputs, channels);
        for (int k = 0; k < yTrain.Length; k++)
        {
            yTrain[k] += 0.01f * Gaussian(rng);
        }

        for (int k = 0; k < yTest.Length; k++)
        {
            yTest[k] += 0.01f * Gaussian(rng);
        }

        return new RegressionTask(inputs, channels, teacher, xTrain, yTrain, xTest, yTest);
    }

    private static float[] Samples(Random rng, int n)
    {
        float[] v = new float[n];
        for (int k = 0; k < n; k++)
        {
            v[k] = Gaussian(rng);
        }

        return v;
    }

    /// <summary>A standard normal sample (Box–Muller), deterministic for a seeded <see cref="Random"/>.</summary>
    public static float Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}

/// <summary>The dense layer's arithmetic in float32, single-threaded and in a fixed order (so runs are deterministic).</summary>
public static class Dense
{
    /// <summary><c>y[r, c] = Σ_i x[r, i] · w[i, c]</c>.</summary>
    public static float[] Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, int rows, int inputs, int channels)
    {
        float[] y = new float[rows * channels];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < inputs; i++)
            {
                float xi = x[(r * inputs) + i];
                for (int c = 0; c < channels; c++)
                {
                    y[(r * channels) + c] += xi * w[(i * channels) + c];
                }
            }
        }

        return y;
    }

    /// <summary>Mean squared error over all outputs.</summary>
    public static float Mse(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> y, int rows, int inputs, int channels)
    {
        float[] p = Forward(x, w, rows, inputs, channels);
        double sum = 0;
        for (int k = 0; k < p.Length; k++)
        {
            double d = p[k] - y[k];
            sum += d * d;
        }

        return (float)(sum / p.Length);
    }

    /// <summary>∂MSE/∂w = (2 / (rows · channels)) · xᵀ (x w − y), shape [inputs, channels].</summary>
    public static float[] MseGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> y, int rows, int inputs, int channels)
    {
        float[] p = Forward(x, w, rows, inputs, channels);
        float scale = 2f / (rows * channels);
        for (int k = 0; k < p.Length; k++)
        {
            p[k] = (p[k] - y[k]) * scale;
        }

        float[] g = new float[inputs * channels];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < inputs; i++)
            {
                float xi = x[(r * inputs) + i];
                for (int c = 0; c < channels; c++)
                {
                    g[(i * channels) + c] += xi * p[(r * channels) + c];
                }
            }
        }

        return g;
    }
}

/// <summary>
/// Adam (Kingma &amp; Ba) over one float parameter vector; <see cref="LearningRate"/> may be changed
/// between steps (a schedule), and an optional per-parameter step scale makes the step relative
/// (the ranges use their channel's initial half-width, so small and large channels learn alike).
/// </summary>
public sealed class Adam(int size, float learningRate, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float[]? stepScale = null)
{
    /// <summary>The step size of the next step.</summary>
    public float LearningRate { get; set; } = learningRate;

    private readonly float[] _m = new float[size];
    private readonly float[] _v = new float[size];
    private int _t;

    public void Step(Span<float> parameters, ReadOnlySpan<float> gradient)
    {
        _t++;
        float c1 = 1f - MathF.Pow(beta1, _t);
        float c2 = 1f - MathF.Pow(beta2, _t);
        for (int k = 0; k < parameters.Length; k++)
        {
            float g = gradient[k];
            _m[k] = (beta1 * _m[k]) + ((1f - beta1) * g);
            _v[k] = (beta2 * _v[k]) + ((1f - beta2) * g * g);
            float step = LearningRate * (_m[k] / c1) / (MathF.Sqrt(_v[k] / c2) + epsilon);
            parameters[k] -= stepScale is null ? step : step * stepScale[k];
        }
    }
}

/// <summary>The float baseline: the dense layer trained without quantization.</summary>
public sealed class FloatLayer
{
    private readonly Adam _adam;

    public FloatLayer(float[] initialWeights, int inputs, int channels, float learningRate)
    {
        Weights = (float[])initialWeights.Clone();
        Inputs = inputs;
        Channels = channels;
        _adam = new Adam(Weights.Length, learningRate);
    }

    public float[] Weights { get; }

    public int Inputs { get; }

    public int Channels { get; }

    /// <summary>Scales the initial learning rate (a schedule's factor for the next steps).</summary>
    public void ScaleLearningRate(float initial, float factor) => _adam.LearningRate = initial * factor;

    /// <summary>One Adam step on a batch; returns the batch loss before the step.</summary>
    public float TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int rows)
    {
        float loss = Dense.Mse(x, Weights, y, rows, Inputs, Channels);
        _adam.Step(Weights, Dense.MseGradient(x, Weights, y, rows, Inputs, Channels));
        return loss;
    }

    public float Loss(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int rows) => Dense.Mse(x, Weights, y, rows, Inputs, Channels);
}

/// <summary>What one quantization-aware training step computed.</summary>
/// <param name="Loss">Batch loss of the fake-quantized layer before the step.</param>
/// <param name="WeightGradient">∂loss/∂W through the fake-quant op (input backprops).</param>
/// <param name="MinGradient">∂loss/∂min per channel.</param>
/// <param name="MaxGradient">∂loss/∂max per channel.</param>
public sealed record QatStep(float Loss, float[] WeightGradient, float[] MinGradient, float[] MaxGradient);

/// <summary>
/// A dense layer whose weights are fake-quantized per output channel
/// (<c>FakeQuantWithMinMaxVarsPerChannel</c>, TensorFlow-exact) with learnable per-channel
/// <c>min</c>/<c>max</c>. Each step runs the op under a <see cref="GradientTape"/> and gets the
/// exact TensorFlow gradients for the weights and both range vectors.
/// </summary>
public sealed class QatLayer
{
    private readonly Adam _weightAdam;
    private readonly Adam _rangeAdam;

    public QatLayer(float[] weights, float[] min, float[] max, int inputs, int channels, int numBits, float learningRate, float rangeLearningRate)
    {
        Weights = (float[])weights.Clone();
        Min = (float[])min.Clone();
        Max = (float[])max.Clone();
        Inputs = inputs;
        Channels = channels;
        NumBits = numBits;
        _weightAdam = new Adam(Weights.Length, learningRate);
        // Range steps are relative to each channel's initial half-width: Adam's step does not
        // depend on the gradient's size, and the channels' ranges differ by two orders of magnitude.
        float[] rangeScale = new float[2 * channels];
        for (int c = 0; c < channels; c++)
        {
            float half = MathF.Max(0.5f * (max[c] - min[c]), 1e-6f);
            rangeScale[c] = half;
            rangeScale[channels + c] = half;
        }

        _rangeAdam = new Adam(2 * channels, rangeLearningRate, stepScale: rangeScale);
    }

    public float[] Weights { get; }

    public float[] Min { get; }

    public float[] Max { get; }

    public int Inputs { get; }

    public int Channels { get; }

    public int NumBits { get; }

    /// <summary>Sets both step sizes to their initial values times <paramref name="factor"/> (a schedule).</summary>
    public void ScaleLearningRates(float weights, float ranges, float factor)
    {
        _weightAdam.LearningRate = weights * factor;
        _rangeAdam.LearningRate = ranges * factor;
    }

    /// <summary>
    /// Per channel, a symmetric range of ±<paramref name="sigmas"/> standard deviations of that
    /// channel's weights (the usual post-training starting point; outliers beyond it are clipped).
    /// </summary>
    public static (float[] Min, float[] Max) InitialRanges(float[] weights, int inputs, int channels, float sigmas)
    {
        float[] min = new float[channels];
        float[] max = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double sq = 0;
            for (int i = 0; i < inputs; i++)
            {
                double w = weights[(i * channels) + c];
                sq += w * w;
            }

            float std = (float)Math.Sqrt(sq / inputs);
            min[c] = -sigmas * std;
            max[c] = sigmas * std;
        }

        return (min, max);
    }

    /// <summary>The weights as the quantized layer uses them (TensorFlow's per-channel fake quantization).</summary>
    public float[] QuantizedWeights()
    {
        NDArray w = new(Weights, new Shape(Inputs, Channels));
        NDArray q = quantization.fake_quant_with_min_max_vars_per_channel(w, new NDArray(Min, new Shape(Channels)), new NDArray(Max, new Shape(Channels)),
            num_bits: NumBits);
        return q.ToArray<float>();
    }

    /// <summary>Loss of the fake-quantized layer.</summary>
    public float Loss(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int rows) => Dense.Mse(x, QuantizedWeights(), y, rows, Inputs, Channels);

    /// <summary>
    /// Computes the step's gradients (no update): <c>Wq = fake_quant(W, min, max)</c> on a tape,
    /// <c>∂loss/∂Wq</c> of the dense layer as the output gradient, then
    /// <c>tape.gradient(Wq, [W, min, max], output_gradients)</c>.
    /// </summary>
    public QatStep Gradients(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int rows)
    {
        NDArray w = new(Weights, new Shape(Inputs, Channels));
        NDArray min = new(Min, new Shape(Channels));
        NDArray max = new(Max, new Shape(Channels));
        using var tape = new GradientTape();
        tape.watch(w, min, max);
        NDArray wq = quantization.fake_quant_with_min_max_vars_per_channel(w, min, max, num_bits: NumBits);
        float[] wqData = wq.ToArray<float>();
        float loss = Dense.Mse(x, wqData, y, rows, Inputs, Channels);
        NDArray upstream = new(Dense.MseGradient(x, wqData, y, rows, Inputs, Channels), new Shape(Inputs, Channels));
        NDArray?[] g = tape.gradient(wq, [w, min, max], output_gradients: upstream);
        return new QatStep(loss, g[0]!.ToArray<float>(), g[1]!.ToArray<float>(), g[2]!.ToArray<float>());
    }

    /// <summary>One Adam step on the weights and the ranges; the ranges are then kept around zero (<c>min ≤ 0 ≤ max</c>, as nudging would make them anyway).</summary>
    public QatStep TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int rows)
    {
        QatStep step = Gradients(x, y, rows);
        _weightAdam.Step(Weights, step.WeightGradient);
        float[] ranges = [.. Min, .. Max];
        _rangeAdam.Step(ranges, [.. step.MinGradient, .. step.MaxGradient]);
        for (int c = 0; c < Channels; c++)
        {
            Min[c] = MathF.Min(ranges[c], 0f);
            Max[c] = MathF.Max(ranges[Channels + c], 0f);
        }

        return step;
    }

    /// <summary>Per-channel RMS of <c>Wq − W</c>: how much fake quantization moves this layer's weights.</summary>
    public float[] QuantizationError()
    {
        float[] reference = Weights;
        float[] q = QuantizedWeights();
        float[] err = new float[Channels];
        for (int c = 0; c < Channels; c++)
        {
            double s = 0;
            for (int i = 0; i < Inputs; i++)
            {
                double d = q[(i * Channels) + c] - reference[(i * Channels) + c];
                s += d * d;
            }

            err[c] = (float)Math.Sqrt(s / Inputs);
        }

        return err;
    }
}
