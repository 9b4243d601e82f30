using System.Text.Json;
using Hygie.Testing;

namespace Hygie.Cli.Tests;

public class SynthVerbTests
{
    private static readonly string[] Files = ["IR_BEN_R.csv", "ER_PRS_F.csv", "ER_PHA_F.csv", "T_MCO19B.csv", "T_MCO19C.csv", "T_MCO19D.csv", "KI_CCI_R.csv"];

    [Fact]
    public async Task Synth_writes_every_table_and_the_fhir_bundles_and_reports_them_in_json()
    {
        using var dir = new TempDirectory("hygie-synth");
        var outDir = dir.Combine("out");
        var run = await CliRunner.RunAsync("synth", "--out", outDir, "--persons", "300", "--seed", "7", "--fhir-patients", "12", "--json");
        Assert.True(run.ExitCode == 0, run.Error);
        foreach (var f in Files) Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        Assert.Equal(12, Directory.GetFiles(Path.Combine(outDir, "fhir"), "patient-*.json").Length);
        using var report = JsonDocument.Parse(run.Out);
        var tables = report.RootElement.GetProperty("tables").EnumerateArray().ToDictionary(t => t.GetProperty("table").GetString()!);
        Assert.Equal(300, tables["IR_BEN_R"].GetProperty("rows").GetInt64());
        Assert.Equal(301, File.ReadLines(Path.Combine(outDir, "IR_BEN_R.csv")).Count());
        Assert.Equal(tables["ER_PRS_F"].GetProperty("rows").GetInt64() + 1, File.ReadLines(Path.Combine(outDir, "ER_PRS_F.csv")).Count());
        Assert.Equal(new FileInfo(Path.Combine(outDir, "ER_PRS_F.csv")).Length, tables["ER_PRS_F"].GetProperty("bytes").GetInt64());
        Assert.Equal(12, report.RootElement.GetProperty("fhir").GetProperty("bundles").GetInt32());

        // the same seed again, with --force: the same bytes
        var before = await File.ReadAllBytesAsync(Path.Combine(outDir, "ER_PRS_F.csv"));
        var again = await CliRunner.RunAsync("synth", "--out", outDir, "--persons", "300", "--seed", "7", "--fhir-patients", "12", "--force");
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Equal(before, await File.ReadAllBytesAsync(Path.Combine(outDir, "ER_PRS_F.csv")));
        Assert.Contains("ER_PRS_F", again.Out);
    }

    [Fact]
    public async Task Synth_writes_one_table_to_the_exact_row_count()
    {
        using var dir = new TempDirectory("hygie-synth");
        var run = await CliRunner.RunAsync("synth", "--out", dir.Path, "--table", "t_mco19b", "--rows", "250", "--year", "2021", "--force");
        Assert.True(run.ExitCode == 0, run.Error);
        var files = Directory.GetFiles(dir.Path).Select(Path.GetFileName).ToList();
        Assert.Equal(["T_MCO21B.csv"], files);
        Assert.Equal(251, File.ReadLines(dir.Combine("T_MCO21B.csv")).Count());
    }

    [Fact]
    public async Task Bad_input_is_one_line_and_a_non_zero_exit()
    {
        using var dir = new TempDirectory("hygie-synth");
        await File.WriteAllTextAsync(dir.Combine("already.txt"), "something");

        var notEmpty = await CliRunner.RunAsync("synth", "--out", dir.Path, "--persons", "5");
        Assert.Equal(1, notEmpty.ExitCode);
        Assert.Equal(1, Lines(notEmpty.Error));
        Assert.Contains("not empty", notEmpty.Error);
        Assert.Contains("--force", notEmpty.Error);
        Assert.False(File.Exists(dir.Combine("IR_BEN_R.csv")));

        var negative = await CliRunner.RunAsync("synth", "--out", dir.Combine("a"), "--persons", "-5");
        Assert.Equal(2, negative.ExitCode);
        Assert.Contains("--persons is -5", negative.Error);
        var unknown = await CliRunner.RunAsync("synth", "--out", dir.Combine("b"), "--table", "ER_XXX_F");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown table 'ER_XXX_F'", unknown.Error);
        var rowsAlone = await CliRunner.RunAsync("synth", "--out", dir.Combine("c"), "--rows", "10");
        Assert.Equal(2, rowsAlone.ExitCode);
        Assert.Contains("--rows goes with --table", rowsAlone.Error);
        var negativeRows = await CliRunner.RunAsync("synth", "--out", dir.Combine("d"), "--table", "ER_PRS_F", "--rows", "-1");
        Assert.Equal(2, negativeRows.ExitCode);
        // usage errors: the error line, then the hint to --help, as every verb does
        foreach (var r in new[] { negative, unknown, rowsAlone, negativeRows })
        {
            Assert.Equal(2, Lines(r.Error));
            Assert.Empty(r.Out);
        }
        Assert.False(Directory.Exists(dir.Combine("a")));
    }

    private static int Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
}
