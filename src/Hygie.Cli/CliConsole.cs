using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace Hygie.Cli;

/// <summary>Where the CLI writes: tables for people, JSON with --json, one-line errors on stderr.</summary>
public sealed class CliConsole(TextWriter output, TextWriter error)
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public TextWriter Out { get; } = output;
    public TextWriter Error { get; } = error;

    public IAnsiConsole Ansi { get; } = CreateAnsi(output);

    private static IAnsiConsole CreateAnsi(TextWriter output)
    {
        var terminal = ReferenceEquals(output, Console.Out);
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        // A captured writer has no width: wide tables (ids, dates) are not wrapped at 80 columns.
        if (!terminal) ansi.Profile.Width = 240;
        return ansi;
    }

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>One JSON object on one line: for a long-running verb that reports as it goes (a stream of JSON lines).</summary>
    public void WriteJsonLine<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, JsonLineOptions));

    private static readonly JsonSerializerOptions JsonLineOptions = new(JsonOptions) { WriteIndented = false };

    public void Table(string[] headers, IEnumerable<string?[]> rows)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var h in headers) table.AddColumn(Markup.Escape(h));
        foreach (var row in rows) table.AddRow(row.Select(c => Markup.Escape(c ?? "")).ToArray());
        Ansi.Write(table);
    }

    public void Line(string text) => Out.WriteLine(text);

    public int Fail(string message)
    {
        Error.WriteLine($"hygie: {message}");
        return HygieCli.Failed;
    }
}
