// Tests make many small arrays and leave them to the GC; prompt return of pooled buffers does not matter here.
#pragma warning disable NDW012
using QuantAwareTraining;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Tests.Eager;

/// <summary>Smoke tests of the README's main example (examples/QuantAwareTraining): one QAT step and a short deterministic run.</summary>
[TestFixture]
public class QuantAwareTrainingTests
{
    private const int Inputs = 16, Channels = 4, Rows = 64;

    private static (RegressionTask Task, QatLayer Layer, float[] X, float[] Y) Setup(int bits)
    {
        RegressionTask task = RegressionTask.Create(seed: 7, inputs: Inputs, channels: Channels, trainRows: 128, testRows: 64);
        (float[] min, float[] max) = QatLayer.InitialRanges(task.Teacher, Inputs, Channels, sigmas: 2f);
        var layer = new QatLayer(task.Teacher, min, max, Inputs, Channels, bits, learningRate: 1e-3f, rangeLearningRate: 5e-3f);
        return (task, layer, task.XTrain[..(Rows * Inputs)], task.YTrain[..(Rows * Channels)]);
    }

    [TestCase(4)]
    [TestCase(8)]
    public void AStepUsesTensorFlowsExactGradientsThroughTheTape(int bits)
    {
        (_, QatLayer layer, float[] x, float[] y) = Setup(bits);
        QatStep step = layer.Gradients(x, y, Rows);

        // The same gradients directly from the op-level kernels.
        var w = new FloatTensor(TensorShape.Of(Inputs, Channels), (float[])layer.Weights.Clone());
        FloatTensor min = FloatTensor.Vector(layer.Min), max = FloatTensor.Vector(layer.Max);
        FloatTensor wq = FakeQuantOps.PerChannel(w, min, max, bits);
        var upstream = new FloatTensor(w.Shape, Dense.MseGradient(x, wq.GetArray(), y, Rows, Inputs, Channels));
        var (dW, dMin, dMax) = FakeQuantOps.PerChannelGradient(upstream, w, min, max, bits);

        Assert.That(step.Loss, Is.EqualTo(Dense.Mse(x, wq.GetArray(), y, Rows, Inputs, Channels)));
        Assert.That(step.WeightGradient, Is.EqualTo(dW.GetArray()));
        Assert.That(step.MinGradient, Is.EqualTo(dMin.GetArray()));
        Assert.That(step.MaxGradient, Is.EqualTo(dMax.GetArray()));
        Assert.That(step.MinGradient.Concat(step.MaxGradient).Any(g => g != 0f),
            "the ±2σ ranges clip the teacher's outliers, so some range gradient is nonzero");
    }

    [Test]
    public void OneTrainingStepMovesWeightsAndRangesAgainstTheirGradients()
    {
        (_, QatLayer layer, float[] x, float[] y) = Setup(4);
        float[] w0 = (float[])layer.Weights.Clone(), min0 = (float[])layer.Min.Clone(), max0 = (float[])layer.Max.Clone();
        QatStep step = layer.TrainStep(x, y, Rows);

        // Adam's first step moves each parameter with a nonzero gradient against the gradient's sign.
        for (int k = 0; k < w0.Length; k++)
        {
            float moved = layer.Weights[k] - w0[k];
            Assert.That(step.WeightGradient[k] == 0f ? moved == 0f : Math.Sign(moved) == -Math.Sign(step.WeightGradient[k]), $"weight {k}");
        }

        for (int c = 0; c < Channels; c++)
        {
            Assert.That(step.MinGradient[c] == 0f ? layer.Min[c] == min0[c] : Math.Sign(layer.Min[c] - min0[c]) == -Math.Sign(step.MinGradient[c]), $"min {c}");
            Assert.That(step.MaxGradient[c] == 0f ? layer.Max[c] == max0[c] : Math.Sign(layer.Max[c] - max0[c]) == -Math.Sign(step.MaxGradient[c]), $"max {c}");
        }
    }

    [Test]
    public void AShortRunIsDeterministicAndQatImprovesOnPostTrainingQuantization()
    {
        var options = new ExperimentOptions([4], Epochs: 2, Seed: 3);
        ExperimentResult a = Experiment.Run(options);
        ExperimentResult b = Experiment.Run(options);

        Assert.That(a.FloatHistory, Is.EqualTo(b.FloatHistory));
        Assert.That(a.Quantized[0].LossHistory, Is.EqualTo(b.Quantized[0].LossHistory));
        Assert.That(a.Quantized[0].MaxAfter, Is.EqualTo(b.Quantized[0].MaxAfter));
        Assert.That(a.FloatHistory, Has.Count.EqualTo(3));
        Assert.That(a.Quantized[0].LossAfter, Is.LessThan(a.Quantized[0].LossBefore));
        Assert.That(a.Quantized[0].MinHistory, Has.Count.EqualTo(3));
    }
}
