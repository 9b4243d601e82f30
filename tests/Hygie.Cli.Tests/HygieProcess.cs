using System.Diagnostics;
using System.Text;

namespace Hygie.Cli.Tests;

/// <summary>The real <c>hygie</c> executable in a child process, so a test can kill it (<c>kill -9</c>) mid-operation.</summary>
public sealed class HygieProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();

    private HygieProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static HygieProcess Start(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "hygie.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment.Remove("HYGIE_KEYRING_PASSPHRASE");
        return new HygieProcess(Process.Start(info) ?? throw new InvalidOperationException("cannot start dotnet"));
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public string Out { get { lock (_out) return _out.ToString(); } }
    public string Error { get { lock (_err) return _err.ToString(); } }

    /// <summary>SIGKILL: no finally block, no flush, no cleanup — a crash.</summary>
    public void KillNow()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, the process ends, or the timeout passes; returns whether it held.</summary>
    public async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (condition()) return true;
            if (_process.HasExited) return condition();
            await Task.Delay(5);
        }
        return false;
    }

    public void Dispose()
    {
        try { KillNow(); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
