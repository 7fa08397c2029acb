using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace TfFakeQuant.Fuzz;

/// <summary>
/// What a fuzz run saw: calls made, exceptions by type, distinct error texts, and crashes with
/// enough detail to replay them. Serializes to lines so a supervising process can add up the
/// tallies of its workers.
/// </summary>
internal sealed partial class Tally
{
    public long Calls { get; set; }

    public SortedDictionary<string, long> ExceptionTypes { get; } = new(StringComparer.Ordinal);

    /// <summary>Error texts with numbers replaced by <c>N</c> (templates), with counts.</summary>
    public SortedDictionary<string, long> Texts { get; } = new(StringComparer.Ordinal);

    public HashSet<string> LiteralTexts { get; } = new(StringComparer.Ordinal);

    /// <summary>Distinct crash kinds (target, what, exception type, throwing frame) with one example each and a count.</summary>
    public SortedDictionary<string, (long Count, string Example)> Crashes { get; } = new(StringComparer.Ordinal);

    public long CrashCount { get; set; }

    public void Throw(Exception ex)
    {
        string type = ex.GetType().Name;
        ExceptionTypes[type] = ExceptionTypes.GetValueOrDefault(type) + 1;
        string text = FirstLine(ex.Message);
        LiteralTexts.Add(text);
        string template = type + ": " + Numbers().Replace(ShapeTexts().Replace(text, "[S]"), "N");
        Texts[template] = Texts.GetValueOrDefault(template) + 1;
    }

    public void Crash(long iteration, string target, string what, Exception? ex)
    {
        CrashCount++;
        string frame = ex?.StackTrace?.Split('\n').FirstOrDefault()?.Trim() ?? "";
        string key = $"[{target}] {Numbers().Replace(what, "N")} {ex?.GetType().Name} {frame}";
        string example = $"iteration {iteration} [{target}]: {what}" + (ex is null ? "" : $"\n    {ex.GetType().FullName}: {ex.Message}\n{ex.StackTrace}");
        AddCrash(key, 1, example);
    }

    private void AddCrash(string key, long count, string example)
    {
        if (Crashes.TryGetValue(key, out var c))
        {
            Crashes[key] = (c.Count + count, c.Example);
        }
        else if (Crashes.Count < 50)
        {
            Crashes[key] = (count, example);
        }
    }

    private static string FirstLine(string s)
    {
        int nl = s.IndexOf('\n', StringComparison.Ordinal);
        return nl < 0 ? s : s[..nl];
    }

    [GeneratedRegex(@"-?\d+(\.\d+)?(e[-+]\d+)?")]
    private static partial Regex Numbers();

    [GeneratedRegex(@"\[[\d,?]*\]")]
    private static partial Regex ShapeTexts();

    // ---- the worker → supervisor protocol: one record per line, fields tab-separated ----

    public void WriteTo(TextWriter w)
    {
        w.WriteLine($"@calls\t{Calls}\t{CrashCount}");
        foreach (var (k, v) in ExceptionTypes)
        {
            w.WriteLine($"@type\t{k}\t{v}");
        }

        foreach (var (k, v) in Texts)
        {
            w.WriteLine($"@text\t{Escape(k)}\t{v}");
        }

        foreach (string t in LiteralTexts)
        {
            w.WriteLine($"@literal\t{Escape(t)}");
        }

        foreach (var (k, (n, e)) in Crashes)
        {
            w.WriteLine($"@crash\t{Escape(k)}\t{n}\t{Escape(e)}");
        }

        w.WriteLine("@end");
    }

    /// <summary>Adds one protocol line to this tally; returns false for a line that is not part of it.</summary>
    public bool Read(string line)
    {
        string[] f = line.Split('\t');
        switch (f[0])
        {
            case "@calls":
                Calls += long.Parse(f[1], CultureInfo.InvariantCulture);
                CrashCount += long.Parse(f[2], CultureInfo.InvariantCulture);
                return true;
            case "@type":
                ExceptionTypes[f[1]] = ExceptionTypes.GetValueOrDefault(f[1]) + long.Parse(f[2], CultureInfo.InvariantCulture);
                return true;
            case "@text":
                string t = Unescape(f[1]);
                Texts[t] = Texts.GetValueOrDefault(t) + long.Parse(f[2], CultureInfo.InvariantCulture);
                return true;
            case "@literal":
                LiteralTexts.Add(Unescape(f[1]));
                return true;
            case "@crash":
                AddCrash(Unescape(f[1]), long.Parse(f[2], CultureInfo.InvariantCulture), Unescape(f[3]));
                return true;
            default:
                return false;
        }
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal)
        .Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Unescape(string s)
    {
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length)
            {
                i++;
                sb.Append(s[i] switch { 't' => '\t', 'r' => '\r', 'n' => '\n', _ => s[i] });
            }
            else
            {
                sb.Append(s[i]);
            }
        }

        return sb.ToString();
    }

    public void Print(TextWriter w)
    {
        w.WriteLine("exception types:");
        foreach (var (k, v) in ExceptionTypes)
        {
            w.WriteLine($"  {v,9}  {k}");
        }

        w.WriteLine($"distinct error texts: {Texts.Count} templates (numbers as N), {LiteralTexts.Count} literal texts");
        foreach (var (k, v) in Texts)
        {
            w.WriteLine($"  {v,9}  {k}");
        }

        if (Crashes.Count > 0)
        {
            w.WriteLine($"crashes: {CrashCount} in {Crashes.Count} kinds (one example each):");
            foreach (var (k, (n, e)) in Crashes)
            {
                w.WriteLine($"  {n,9}  {k}");
                w.WriteLine("             " + e.Replace("\n", "\n             ", StringComparison.Ordinal));
            }
        }
    }
}
