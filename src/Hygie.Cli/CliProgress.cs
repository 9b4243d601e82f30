using System.Diagnostics;
using Hygie.Storage.Operations;

namespace Hygie.Cli;

/// <summary>Progress of a long operation on an interactive terminal: one line every second, on stderr. Silent otherwise.</summary>
public sealed class CliProgress(CliConsole console) : IProgress<OperationProgress>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private TimeSpan _last = TimeSpan.MinValue;
    private readonly bool _interactive = ReferenceEquals(console.Error, Console.Error) && !Console.IsErrorRedirected;

    public static IProgress<OperationProgress>? For(CliConsole console, bool json) => json ? null : new CliProgress(console);

    public void Report(OperationProgress value)
    {
        if (!_interactive) return;
        lock (_gate)
        {
            if (value.Done < value.Total && _clock.Elapsed - _last < TimeSpan.FromSeconds(1)) return;
            _last = _clock.Elapsed;
            var bytes = value.Bytes > 0 ? $", {Size(value.Bytes)} written" : "";
            console.Error.WriteLine($"  {value.Phase}: {value.Done}/{value.Total}{bytes}");
        }
    }

    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:F1} KiB",
        _ => $"{bytes} B",
    };
}
