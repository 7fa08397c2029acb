namespace QuantAwareTraining;

/// <summary>Settings of one run of the example.</summary>
/// <param name="Bits">Bit widths to train (each gets its own quantization-aware run).</param>
/// <param name="Epochs">Passes over the training set (float baseline and each QAT run).</param>
/// <param name="Seed">Seeds the task, the initial weights and the batch order.</param>
/// <param name="BatchSize">Rows per step.</param>
/// <param name="LearningRate">Adam step size of the weights.</param>
/// <param name="RangeLearningRate">Adam step size of the per-channel min/max, relative to each channel's initial half-width.</param>
/// <param name="InitialSigmas">Initial ranges: ± this many standard deviations of each channel's weights.</param>
public sealed record ExperimentOptions(IReadOnlyList<int> Bits, int Epochs = 30, int Seed = 42, int BatchSize = 64, float LearningRate = 1e-3f,
    float RangeLearningRate = 5e-3f, float InitialSigmas = 2f);

/// <summary>One bit width's run: ranges, quantization error and task loss before (post-training quantization of the float weights) and after QAT.</summary>
public sealed class BitsResult(int bits, int channels)
{
    public int Bits { get; } = bits;

    public float[] MinBefore { get; set; } = new float[channels];

    public float[] MaxBefore { get; set; } = new float[channels];

    public float[] MinAfter { get; set; } = new float[channels];

    public float[] MaxAfter { get; set; } = new float[channels];

    public float[] ErrorBefore { get; set; } = new float[channels];

    public float[] ErrorAfter { get; set; } = new float[channels];

    public float LossBefore { get; set; }

    public float LossAfter { get; set; }

    /// <summary>Test loss after each epoch; index 0 is before training.</summary>
    public List<float> LossHistory { get; } = [];

    /// <summary>Per-channel min after each epoch; index 0 is before training.</summary>
    public List<float[]> MinHistory { get; } = [];

    /// <summary>Per-channel max after each epoch; index 0 is before training.</summary>
    public List<float[]> MaxHistory { get; } = [];
}

/// <summary>Everything the example reports.</summary>
public sealed class ExperimentResult(RegressionTask task)
{
    public RegressionTask Task { get; } = task;

    public float[] FloatWeights { get; set; } = [];

    public float FloatLoss { get; set; }

    /// <summary>Float baseline's test loss after each epoch; index 0 is before training.</summary>
    public List<float> FloatHistory { get; } = [];

    public List<BitsResult> Quantized { get; } = [];
}

/// <summary>
/// The example's experiment: train the float baseline, then for each bit width fine-tune the
/// float weights with per-channel fake quantization and learnable ranges (exact TensorFlow
/// gradients through the tape). Deterministic for a seed (single-threaded float32, fixed orders).
/// </summary>
public static class Experiment
{
    /// <summary>Runs the experiment.</summary>
    /// <param name="options">Settings.</param>
    /// <param name="progress">Called after each epoch with the phase name (<c>float</c>, <c>8-bit</c>, ...) and the epochs done.</param>
    public static ExperimentResult Run(ExperimentOptions options, Action<string, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        RegressionTask task = RegressionTask.Create(options.Seed);
        var result = new ExperimentResult(task);
        int inputs = task.Inputs, channels = task.Channels;

        var init = new Random(options.Seed + 1);
        float[] w0 = new float[inputs * channels];
        for (int k = 0; k < w0.Length; k++)
        {
            w0[k] = 0.1f * RegressionTask.Gaussian(init);
        }

        float floatRate = options.LearningRate * FloatRateFactor;
        var baseline = new FloatLayer(w0, inputs, channels, floatRate);
        result.FloatHistory.Add(baseline.Loss(task.XTest, task.YTest, task.TestRows));
        Train(task, options, f => baseline.ScaleLearningRate(floatRate, f), (x, y, rows) => baseline.TrainStep(x, y, rows), () =>
        {
            result.FloatHistory.Add(baseline.Loss(task.XTest, task.YTest, task.TestRows));
            progress?.Invoke("float", result.FloatHistory.Count - 1);
        });
        result.FloatWeights = (float[])baseline.Weights.Clone();
        result.FloatLoss = result.FloatHistory[^1];

        foreach (int bits in options.Bits)
        {
            (float[] min, float[] max) = QatLayer.InitialRanges(result.FloatWeights, inputs, channels, options.InitialSigmas);
            var layer = new QatLayer(result.FloatWeights, min, max, inputs, channels, bits, options.LearningRate, options.RangeLearningRate);
            var r = new BitsResult(bits, channels)
            {
                MinBefore = (float[])layer.Min.Clone(),
                MaxBefore = (float[])layer.Max.Clone(),
                ErrorBefore = layer.QuantizationError(),
                LossBefore = layer.Loss(task.XTest, task.YTest, task.TestRows),
            };
            r.LossHistory.Add(r.LossBefore);
            r.MinHistory.Add(r.MinBefore);
            r.MaxHistory.Add(r.MaxBefore);
            string phase = $"{bits}-bit";
            Train(task, options, f => layer.ScaleLearningRates(options.LearningRate, options.RangeLearningRate, f),
                (x, y, rows) => layer.TrainStep(x, y, rows).Loss, () =>
            {
                r.LossHistory.Add(layer.Loss(task.XTest, task.YTest, task.TestRows));
                r.MinHistory.Add((float[])layer.Min.Clone());
                r.MaxHistory.Add((float[])layer.Max.Clone());
                progress?.Invoke(phase, r.LossHistory.Count - 1);
            });
            r.MinAfter = (float[])layer.Min.Clone();
            r.MaxAfter = (float[])layer.Max.Clone();
            r.ErrorAfter = layer.QuantizationError();
            r.LossAfter = r.LossHistory[^1];
            result.Quantized.Add(r);
        }

        return result;
    }

    /// <summary>The float baseline trains from scratch, so it starts with a larger step than the QAT fine-tuning.</summary>
    public const float FloatRateFactor = 50f;

    private delegate float StepFunction(float[] x, float[] y, int rows);

    /// <summary>
    /// Epochs of shuffled mini-batches with a cosine learning-rate schedule (factor from 1 down to
    /// 0.01); every run sees the same batch order for a seed.
    /// </summary>
    private static void Train(RegressionTask task, ExperimentOptions options, Action<float> schedule, StepFunction step, Action afterEpoch)
    {
        var order = new Random(options.Seed + 2);
        int[] rows = [.. Enumerable.Range(0, task.TrainRows)];
        int inputs = task.Inputs, channels = task.Channels, batch = options.BatchSize;
        float[] x = new float[batch * inputs];
        float[] y = new float[batch * channels];
        int stepsPerEpoch = rows.Length / batch;
        int total = Math.Max(1, options.Epochs * stepsPerEpoch), done = 0;
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            order.Shuffle(rows);
            for (int start = 0; start + batch <= rows.Length; start += batch)
            {
                for (int b = 0; b < batch; b++)
                {
                    int r = rows[start + b];
                    Array.Copy(task.XTrain, r * inputs, x, b * inputs, inputs);
                    Array.Copy(task.YTrain, r * channels, y, b * channels, channels);
                }

                schedule(0.01f + (0.99f * 0.5f * (1f + MathF.Cos(MathF.PI * done / total))));
                step(x, y, batch);
                done++;
            }

            afterEpoch();
        }
    }
}
