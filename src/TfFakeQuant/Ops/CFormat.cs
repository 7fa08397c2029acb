using System.Globalization;

namespace TfFakeQuant.Ops;

/// <summary>Number formatting as TensorFlow's C++ messages print floats.</summary>
internal static class CFormat
{
    /// <summary>
    /// C's <c>%g</c> (six significant digits, trailing zeros removed, exponent form when the
    /// exponent is below -4 or at least 6), except that every NaN prints <c>nan</c> (TensorFlow
    /// prints <c>nan</c>, never <c>-nan</c>, for these ops).
    /// </summary>
    public static string G(double value)
    {
        if (double.IsNaN(value))
        {
            return "nan";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }

        if (value == 0)
        {
            return double.IsNegative(value) ? "-0" : "0";
        }

        // "E5" rounds to six significant digits exactly (IEEE-correct since .NET Core 3.0),
        // which also decides the exponent C uses to choose between the two forms.
        string e = value.ToString("E5", CultureInfo.InvariantCulture);
        int exponentAt = e.IndexOf('E', StringComparison.Ordinal);
        int exponent = int.Parse(e.AsSpan(exponentAt + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        if (exponent < -4 || exponent >= 6)
        {
            string mantissa = TrimZeros(e[..exponentAt]);
            string sign = exponent < 0 ? "-" : "+";
            return mantissa + "e" + sign + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        }

        string fixedForm = value.ToString("F" + (5 - exponent).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return TrimZeros(fixedForm);
    }

    private static string TrimZeros(string s) =>
        s.Contains('.', StringComparison.Ordinal) ? s.TrimEnd('0').TrimEnd('.') : s;
}
