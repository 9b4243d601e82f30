using System.Globalization;

namespace Hygie.Bench;

/// <summary>The options of the deposit and query scenarios: <c>--rows N --persons N --rounds N --csv PATH</c>.</summary>
public sealed record BenchOptions(long Rows, int Persons, int Rounds, string? Csv)
{
    /// <summary>Where a bench hub says its stores are: qualified for every classification, as a production host is
    /// (the placement policy refuses SNDS data on an undeclared machine).</summary>
    public static readonly Hygie.Storage.Locations.HubSite QualifiedSite = new("Bench host", "FR", "eu-only", ["HDS", "SecNumCloud"]);

    public static BenchOptions Parse(string[] args, int defaultRounds)
    {
        long rows = 10_000_000;
        int? persons = null;
        var rounds = defaultRounds;
        string? csv = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--rows": rows = long.Parse(Value().Replace("_", ""), CultureInfo.InvariantCulture); break;
                case "--persons": persons = int.Parse(Value().Replace("_", ""), CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--csv": csv = Value(); break;
                default: throw new ArgumentException($"unknown option {args[i]} (--rows N, --persons N, --rounds N, --csv PATH)");
            }
        }
        // a few hundred thousand persons for 10M claim lines, fewer for quick runs
        return new BenchOptions(rows, persons ?? (int)Math.Clamp(rows / 30, 1, 300_000), rounds, csv);
    }

    /// <summary>The extract to read: the given file, or a generated one kept in the temporary directory for later runs.</summary>
    public string EnsureCsv()
    {
        if (Csv is not null) return Csv;
        var dir = Path.Combine(Path.GetTempPath(), "hygie-bench");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"er_prs_f-v{ClaimsCsv.Version}-{Rows}-{Persons}.csv");
        if (File.Exists(path)) return path;
        Console.WriteLine($"generating {Rows:N0} ER_PRS_F rows for {Persons:N0} persons into {path}…");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var partial = path + ".partial";
        var bytes = new ClaimsCsv(Persons).Write(partial, Rows);
        File.Move(partial, path);
        Console.WriteLine($"  {bytes / (double)(1 << 20):F0} MiB in {sw.Elapsed.TotalSeconds:F1} s");
        return path;
    }
}
