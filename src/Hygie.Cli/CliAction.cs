using System.CommandLine;
using Hygie.Core.Errors;

namespace Hygie.Cli;

public static class CliAction
{
    /// <summary>Runs a verb; a refusal or failure becomes one line on stderr and exit code 1.</summary>
    public static void SetHandler(this Command command, CliConsole console, Func<ParseResult, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                return await action(parse, ct);
            }
            catch (HygieException e) { return console.Fail(e.Message); }
            catch (CliException e) { return console.Fail(e.Message); }
            catch (HttpRequestException e) { return console.Fail($"cannot reach the hub: {e.Message}"); }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested) { return console.Fail("the hub did not answer in time"); }
            catch (UnauthorizedAccessException e) { return console.Fail($"permission denied: {e.Message}"); }
            catch (IOException e) { return console.Fail(e.Message); }
        });
}

/// <summary>A refusal the CLI itself reports (bad file, server answer): one line, exit 1.</summary>
public sealed class CliException(string message) : Exception(message);
