using TfFakeQuant.Kernels;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Tests.Reliability;

/// <summary>
/// The expected outputs of a valid call, computed by the scalar reference kernels
/// (<see cref="FakeQuantReference"/>, the oracle) on copies of the inputs.
/// </summary>
internal static class Oracle
{
    /// <summary>Outputs in OpDef order for inputs in OpDef order (flat, row-major).</summary>
    /// <param name="kind">Which op.</param>
    /// <param name="numBits">A valid bit width.</param>
    /// <param name="narrow">narrow_range.</param>
    /// <param name="min">Args attr min.</param>
    /// <param name="max">Args attr max.</param>
    /// <param name="inputs">Flat inputs (min/max of Vars ops are one element each).</param>
    /// <returns>Flat outputs (the scalar range gradients of VarsGradient are one element each).</returns>
    public static float[][] Run(FakeQuantOpKind kind, int numBits, bool narrow, float min, float max, IReadOnlyList<float[]> inputs)
    {
        float[][] i = inputs.Select(a => a.ToArray()).ToArray();
        switch (kind)
        {
            case FakeQuantOpKind.Args:
            {
                var y = new float[i[0].Length];
                FakeQuantReference.Args(i[0], min, max, numBits, narrow, y);
                return [y];
            }

            case FakeQuantOpKind.ArgsGradient:
            {
                var y = new float[i[0].Length];
                FakeQuantReference.ArgsGradient(i[0], i[1], min, max, numBits, narrow, y);
                return [y];
            }

            case FakeQuantOpKind.Vars:
            {
                var y = new float[i[0].Length];
                FakeQuantReference.Vars(i[0], i[1][0], i[2][0], numBits, narrow, y);
                return [y];
            }

            case FakeQuantOpKind.VarsGradient:
            {
                var dx = new float[i[0].Length];
                FakeQuantReference.VarsGradient(i[0], i[1], i[2][0], i[3][0], numBits, narrow, dx, out float dMin, out float dMax);
                return [dx, [dMin], [dMax]];
            }

            case FakeQuantOpKind.VarsPerChannel:
            {
                var y = new float[i[0].Length];
                FakeQuantReference.PerChannel(i[0], i[1], i[2], numBits, narrow, y);
                return [y];
            }

            case FakeQuantOpKind.VarsPerChannelGradient:
            {
                var dx = new float[i[0].Length];
                var dMin = new float[i[2].Length];
                var dMax = new float[i[2].Length];
                FakeQuantReference.PerChannelGradient(i[0], i[1], i[2], i[3], numBits, narrow, dx, dMin, dMax);
                return [dx, dMin, dMax];
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }
}
