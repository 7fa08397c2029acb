using CsCheck;

namespace TfFakeQuant.Tests.Reliability;

/// <summary>
/// Runs a CsCheck property deterministically: iteration <c>i</c> generates from a PCG seeded with
/// <c>(seed, i)</c>, so every run of the suite tries exactly the same cases. On the first failure
/// CsCheck shrinks from that case's seed, and the failure message prints both the original
/// case's seed and CsCheck's shrunk case (rerun one case with
/// <c>gen.Sample(assert, seed: "...")</c>, or set <c>TFFQ_PROP_SEED</c> to explore another
/// stream and <c>TFFQ_PROP_SCALE</c> to multiply the iteration counts).
/// </summary>
internal static class Prop
{
    /// <summary>The suite's base seed (fixed; <c>TFFQ_PROP_SEED</c> overrides it).</summary>
    public static ulong BaseSeed { get; } =
        ulong.TryParse(Environment.GetEnvironmentVariable("TFFQ_PROP_SEED"), out ulong s) ? s : 20261127UL;

    private static int Scale { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("TFFQ_PROP_SCALE"), out int k) && k > 0 ? k : 1;

    /// <summary>Checks <paramref name="assert"/> on <paramref name="iterations"/> generated values.</summary>
    /// <typeparam name="T">The generated type.</typeparam>
    /// <param name="gen">The generator.</param>
    /// <param name="assert">Throws when the property does not hold.</param>
    /// <param name="iterations">How many cases (times <c>TFFQ_PROP_SCALE</c>).</param>
    /// <param name="stream">A per-property stream number, so properties do not share cases.</param>
    public static void ForAll<T>(Gen<T> gen, Action<T> assert, int iterations, uint stream)
    {
        for (int i = 0; i < iterations * Scale; i++)
        {
            var pcg = new PCG(stream, BaseSeed * 1_000_003UL + (ulong)i);
            string seed = pcg.ToString();
            T value = gen.Generate(pcg, null, out _);
            try
            {
                assert(value);
            }
            catch (Exception ex)
            {
                string shrunk;
                try
                {
                    gen.Sample(assert, seed: seed, iter: 2_000, threads: 1, writeLine: _ => { });
                    shrunk = "(CsCheck could not reproduce the failure from the seed)";
                }
                catch (Exception shrinkEx)
                {
                    shrunk = shrinkEx.Message;
                }

                Assert.Fail($"Property failed at iteration {i} (TFFQ_PROP_SEED={BaseSeed}, stream {stream}, CsCheck seed \"{seed}\").\n" +
                    $"Case: {value}\nFailure: {ex.GetType().Name}: {ex.Message}\nShrunk by CsCheck: {shrunk}");
            }
        }
    }
}

/// <summary>A property did not hold (plain exception, so shrinking does not record NUnit failures).</summary>
internal sealed class PropertyException(string message) : Exception(message);

/// <summary>Assertions for use inside properties.</summary>
internal static class Expect
{
    /// <summary>Throws <see cref="PropertyException"/> with <paramref name="message"/> when <paramref name="condition"/> is false.</summary>
    public static void True(bool condition, string message)
    {
        if (!condition)
        {
            throw new PropertyException(message);
        }
    }

    /// <summary>Bitwise equality, sign of zero included; any NaN matches any NaN (FORMAT.md).</summary>
    public static bool Same(float a, float b) =>
        (float.IsNaN(a) && float.IsNaN(b)) || BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b);

    /// <summary>Element-wise <see cref="Same(float, float)"/> of two spans, with the first difference in the message.</summary>
    public static void SameBits(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string what)
    {
        True(actual.Length == expected.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < actual.Length; i++)
        {
            if (!Same(actual[i], expected[i]))
            {
                throw new PropertyException(
                    $"{what}[{i}] = {actual[i]:R} (0x{BitConverter.SingleToInt32Bits(actual[i]):X8}), reference {expected[i]:R} (0x{BitConverter.SingleToInt32Bits(expected[i]):X8})");
            }
        }
    }

    /// <summary>Runs <paramref name="call"/> and checks it throws exactly a <typeparamref name="TEx"/> (or subclass) whose message starts with <paramref name="text"/>.</summary>
    public static TEx Throws<TEx>(Action call, string? text, string what)
        where TEx : Exception
    {
        try
        {
            call();
        }
        catch (TEx ex)
        {
            if (text is not null && !ex.Message.StartsWith(text, StringComparison.Ordinal))
            {
                throw new PropertyException($"{what}: message \"{ex.Message}\", expected it to start with \"{text}\"");
            }

            return ex;
        }
        catch (Exception ex)
        {
            throw new PropertyException($"{what}: threw {ex.GetType().FullName} (\"{ex.Message}\"), expected {typeof(TEx).Name} \"{text}\"\n{ex.StackTrace}");
        }

        throw new PropertyException($"{what}: returned normally, expected {typeof(TEx).Name} \"{text}\"");
    }
}
