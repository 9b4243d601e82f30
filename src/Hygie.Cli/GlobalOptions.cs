using System.CommandLine;

namespace Hygie.Cli;

/// <summary>Options every verb accepts; each falls back to its environment variable, then to a one-machine default.</summary>
public sealed class GlobalOptions
{
    public Option<string> Data { get; } = new("--data")
    {
        Description = "hub data directory (env HYGIE_DATA)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("HYGIE_DATA") is { Length: > 0 } d ? d : "./hygie-data",
        Recursive = true,
    };

    public Option<string> Server { get; } = new("--server")
    {
        Description = "URL of a running hub (env HYGIE_SERVER)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("HYGIE_SERVER") is { Length: > 0 } s ? s : "http://127.0.0.1:5080",
        Recursive = true,
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "API token (env HYGIE_TOKEN)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("HYGIE_TOKEN"),
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "machine-readable JSON output",
        Recursive = true,
    };

    public IEnumerable<Option> All => [Data, Server, Token, Json];
}
