using NUnit.Framework.Interfaces;
using TfFakeQuant.Kernels;
using static TfFakeQuant.Tests.Kernels.KernelData;

namespace TfFakeQuant.Tests.Kernels;

/// <summary>
/// The order of the range sums (<see cref="SumTree"/>): row order up to a leaf, left plus right
/// above; the same bits from the reference and the fast kernels at every width, thread count
/// and axis, for trees deep enough to have leaves that start inside an outer row.
/// </summary>
[TestFixture]
[Category("Kernels")]
public class SumTreeTests
{
    [Test]
    public void The_tree_splits_whole_units_and_keeps_small_tensors_one_leaf()
    {
        Assert.That(SumTree.Units(0), Is.EqualTo(0));
        Assert.That(SumTree.Units(33), Is.EqualTo(3));
        Assert.That(SumTree.RowOf(3, 33), Is.EqualTo(33), "the last unit ends at the last row");
        Assert.That(SumTree.IsLeaf(0, SumTree.Units(1 << 18), 1 << 18, 1), Is.True, "2^18 elements: one leaf");
        Assert.That(SumTree.IsLeaf(0, SumTree.Units((1 << 18) + 1), (1 << 18) + 1, 1), Is.False, "one element more splits");
        Assert.That(SumTree.IsLeaf(0, 1, 16, 1 << 20), Is.True, "one unit is a leaf however wide its rows");
        Assert.That(SumTree.Mid(0, 5), Is.EqualTo(2), "the left child takes the smaller half");
        Assert.That(SumTree.Depth(0, SumTree.Units(1 << 20), 1 << 20, 1), Is.EqualTo(2), "2^20 elements: four leaves of 2^18");
    }

    /// <summary>
    /// 1e8 followed by ones: in row order every 1 is lost to rounding (the spacing of floats at
    /// 1e8 is 8), so a one-leaf sum stays 1e8; over two leaves the right half's ones are summed
    /// first (exactly) and then added to 1e8.
    /// </summary>
    [Test]
    public void Sums_above_a_leaf_add_the_halves_and_below_it_the_rows([Values(1, 2)] int threads)
    {
        int saved = FakeQuant.MaxDegreeOfParallelism;
        FakeQuant.MaxDegreeOfParallelism = threads;
        try
        {
            foreach ((int n, float expected) in new[] { (1000, 1e8f), (1 << 19, 1e8f + (1 << 18)) })
            {
                float[] g = new float[n];
                Array.Fill(g, 1f);
                g[0] = 1e8f;
                float[] x = new float[n];
                Array.Fill(x, -5f); // every element below [-1, 1]: every g counts towards the min sum
                float[] bp = new float[n];

                FakeQuantReference.VarsGradient(g, x, -1f, 1f, 8, false, bp, out float refMin, out float refMax);
                FakeQuant.VarsGradient(g, x, -1f, 1f, 8, false, bp, out float fastMin, out float fastMax);
                Assert.That(refMin, Is.EqualTo(expected), $"n = {n}: reference");
                Assert.That(fastMin, Is.EqualTo(expected), $"n = {n}: fast, {threads} threads");
                Assert.That(refMax, Is.EqualTo(0f));
                Assert.That(fastMax, Is.EqualTo(0f));

                float[] sMin = new float[1], sMax = new float[1];
                FakeQuant.PerChannelGradient(g, x, [-1f], [1f], 8, false, bp, sMin, sMax);
                Assert.That(sMin[0], Is.EqualTo(expected), $"n = {n}: per channel, one channel");
            }
        }
        finally
        {
            FakeQuant.MaxDegreeOfParallelism = saved;
        }
    }

    public static IEnumerable<TestCaseData> DeepTrees()
    {
        // [rows, d] above the parallel crossover (2^18 elements), with small leaves: deep trees,
        // leaves of one unit, parts of unequal depth.
        foreach ((int rows, int d, long leaf) in new[]
        {
            ((1 << 18) + 40, 1, 4096L), (70001, 4, 3000L), (40000, 7, 1L << 14), (20000, 17, 5000L), (4096, 64, 2048L), (300, 1000, 20000L), (33, 8192, 1L),
        })
        {
            foreach (int threads in new[] { 1, 2, 8 })
            {
                yield return new TestCaseData(rows, d, leaf, threads).SetName($"[{rows},{d}] leaf {leaf} threads {threads}");
            }
        }
    }

    [TestCaseSource(nameof(DeepTrees))]
    public void Deep_trees_give_the_references_bits(int rows, int d, long leaf, int threads)
    {
        int n = rows * d;
        (float[] min, float[] max) = Ranges(d, rows);
        float[] x = Values(n, i => (min[i % d], max[i % d]), 8, false, rows + d);
        float[] g = FiniteGradients(n, d);
        int saved = FakeQuant.MaxDegreeOfParallelism;
        long savedLeaf = SumTree.Leaf;
        try
        {
            float[] rowMin = new float[d], rowMax = new float[d], bp = new float[n];
            SumTree.Leaf = long.MaxValue;
            FakeQuantReference.PerChannelGradient(g, x, min, max, 8, false, bp, rowMin, rowMax);

            SumTree.Leaf = leaf;
            FakeQuant.MaxDegreeOfParallelism = threads;
            float[] expected = new float[n], eMin = new float[d], eMax = new float[d];
            FakeQuantReference.PerChannelGradient(g, x, min, max, 8, false, expected, eMin, eMax);
            Assert.That(eMin.Concat(eMax).Zip(rowMin.Concat(rowMax)).Any(p => BitConverter.SingleToInt32Bits(p.First) != BitConverter.SingleToInt32Bits(p.Second)),
                Is.True, "the data must tell the tree order from row order");

            float[] actual = new float[n], aMin = new float[d], aMax = new float[d];
            FakeQuant.PerChannelGradient(g, x, min, max, 8, false, actual, aMin, aMax);
            AssertBitwise(expected, actual, "backprops");
            AssertBitwise(eMin, aMin, "backprop_wrt_min");
            AssertBitwise(eMax, aMax, "backprop_wrt_max");

            float[] inPlace = (float[])g.Clone();
            FakeQuant.PerChannelGradient(inPlace, x, min, max, 8, false, inPlace, aMin, aMax);
            AssertBitwise(expected, inPlace, "backprops (in place)");
            AssertBitwise(eMin, aMin, "backprop_wrt_min (in place)");
            AssertBitwise(eMax, aMax, "backprop_wrt_max (in place)");

            FakeQuantReference.VarsGradient(g, x, min[0], max[0], 8, false, expected, out float vMin, out float vMax);
            FakeQuant.VarsGradient(g, x, min[0], max[0], 8, false, actual, out float wMin, out float wMax);
            AssertBitwise(expected, actual, "VarsGradient backprops");
            AssertBitwise(vMin, wMin, "VarsGradient min");
            AssertBitwise(vMax, wMax, "VarsGradient max");
        }
        finally
        {
            FakeQuant.MaxDegreeOfParallelism = saved;
            SumTree.Leaf = savedLeaf;
        }
    }

    /// <summary>
    /// A channel on an inner axis: the tree is over the rows of the channel-last view, so its
    /// leaves begin and end inside outer rows; the sums must still be the transposed reference's.
    /// </summary>
    [Test]
    public void Deep_trees_on_an_inner_axis_give_the_transposed_references_bits(
        [Values(0, 1, 2)] int axis, [Values(1, 2, 8)] int threads, [Values(1000L, 7777L)] long leaf)
    {
        long[] shape = [40, 64, 123];
        int n = 40 * 64 * 123;
        int channels = (int)shape[axis];
        long inner = shape.Skip(axis + 1).Aggregate(1L, (p, v) => p * v);
        (float[] min, float[] max) = Ranges(channels, axis);
        float[] x = Values(n, i => (min[(int)(i / inner % channels)], max[(int)(i / inner % channels)]), 8, false, 3);
        float[] g = FiniteGradients(n, axis);
        int saved = FakeQuant.MaxDegreeOfParallelism;
        long savedLeaf = SumTree.Leaf;
        try
        {
            SumTree.Leaf = leaf;
            FakeQuant.MaxDegreeOfParallelism = threads;
            float[] xt = AxisTests.ToChannelLast(x, shape, axis), gt = AxisTests.ToChannelLast(g, shape, axis);
            float[] bt = new float[n], eMin = new float[channels], eMax = new float[channels];
            FakeQuantReference.PerChannelGradient(gt, xt, min, max, 8, false, bt, eMin, eMax);

            float[] b = new float[n], aMin = new float[channels], aMax = new float[channels];
            FakeQuant.PerChannelGradient(g, x, shape, axis, min, max, 8, false, b, aMin, aMax);
            AssertBitwise(AxisTests.FromChannelLast(bt, shape, axis), b, "backprops");
            AssertBitwise(eMin, aMin, "backprop_wrt_min");
            AssertBitwise(eMax, aMax, "backprop_wrt_max");
        }
        finally
        {
            FakeQuant.MaxDegreeOfParallelism = saved;
            SumTree.Leaf = savedLeaf;
        }
    }

    /// <summary>Finite gradients whose sums round (magnitudes from 1e-38 to 1e6), so that the order of the additions shows in the bits.</summary>
    private static float[] FiniteGradients(int length, int seed)
    {
        var rng = new Random(seed + 77);
        float[] g = new float[length];
        for (int i = 0; i < length; i++)
        {
            g[i] = rng.Next(8) switch
            {
                0 => (float)(rng.NextDouble() - 0.5) * 3e-38f,
                1 => (float)(rng.NextDouble() - 0.5) * 1e6f,
                _ => (float)((rng.NextDouble() * 2) - 1),
            };
        }

        return g;
    }
}

/// <summary>
/// Lowers <see cref="SumTree.Leaf"/> to 64 elements around a fixture, so that its small tensors
/// run as deep trees (every leaf of 16-row units, the last one short), and puts it back.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class SmallLeavesAttribute : Attribute, ITestAction
{
    private long saved;

    public ActionTargets Targets => ActionTargets.Suite;

    public void BeforeTest(ITest test)
    {
        saved = SumTree.Leaf;
        SumTree.Leaf = 64;
    }

    public void AfterTest(ITest test) => SumTree.Leaf = saved;
}

/// <summary><see cref="FastKernelTests"/> with 64-element leaves: every gradient above 64 elements runs as a tree.</summary>
[TestFixture]
[Category("Kernels")]
[SmallLeaves]
public class SmallLeafKernelTests : FastKernelTests;

/// <summary><see cref="AxisTests"/> with 64-element leaves: inner-axis leaves begin and end inside outer rows.</summary>
[TestFixture]
[Category("Kernels")]
[SmallLeaves]
public class SmallLeafAxisTests : AxisTests;
