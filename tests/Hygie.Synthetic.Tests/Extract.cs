using System.Globalization;
using System.Text;
using Hygie.Synthetic.Cohort;
using Hygie.Synthetic.Snds;

namespace Hygie.Synthetic.Tests;

/// <summary>A cohort's extract generated in memory, and its tables read back with a plain split (independent of the hub's reader).</summary>
public sealed class Extract
{
    private Extract(SyntheticCohort cohort, Dictionary<string, byte[]> files)
    {
        Cohort = cohort;
        Files = files;
    }

    public SyntheticCohort Cohort { get; }

    /// <summary>Core table name → CSV bytes.</summary>
    public Dictionary<string, byte[]> Files { get; }

    public static async Task<Extract> GenerateAsync(long seed, long persons, int year = 2019)
    {
        var cohort = new SyntheticCohort(new CohortOptions { Seed = seed, Persons = persons, Year = year });
        var streams = SndsExtract.Tables.ToDictionary(t => t, _ => new MemoryStream());
        await SndsExtract.WriteAsync(cohort, streams.ToDictionary(s => s.Key, s => (Stream)s.Value));
        return new Extract(cohort, streams.ToDictionary(s => s.Key, s => s.Value.ToArray()));
    }

    public CsvTable Table(string name) => new(Encoding.UTF8.GetString(Files[name]));
}

public sealed class CsvTable
{
    public CsvTable(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Header = lines[0].Split(';');
        Rows = lines.Skip(1).Select(l => l.Split(';')).ToList();
        foreach (var row in Rows) Assert.Equal(Header.Length, row.Length);
    }

    public string[] Header { get; }
    public List<string[]> Rows { get; }

    public int Index(string column)
    {
        var i = Array.IndexOf(Header, column);
        Assert.True(i >= 0, $"no column {column}");
        return i;
    }

    public IEnumerable<string> Column(string column)
    {
        var i = Index(column);
        return Rows.Select(r => r[i]);
    }
}

/// <summary>The SNDS date spellings the generator writes, parsed here on their own.</summary>
public static class SndsDate
{
    public static readonly DateOnly Sentinel = new(1600, 1, 1);

    public static DateOnly Parse(string text)
    {
        if (text.Length == 10 && text[2] == '/') return DateOnly.ParseExact(text, "dd/MM/yyyy", CultureInfo.InvariantCulture);
        if (text.Length == 8 && text.All(char.IsAsciiDigit)) return DateOnly.ParseExact(text, "ddMMyyyy", CultureInfo.InvariantCulture);
        if (text.Length == 18 && text[9] == ':')
            return DateOnly.ParseExact(text[..2] + char.ToUpperInvariant(text[2]) + text[3..5].ToLowerInvariant() + text[5..9], "ddMMMyyyy", CultureInfo.InvariantCulture);
        throw new FormatException($"not an SNDS date: '{text}'");
    }
}
