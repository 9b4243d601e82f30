using System.Diagnostics;

namespace Hygie.Storage.Operations.Relocation;

/// <summary>
/// Paces a migration's copies to a bandwidth limit, so that moving a hub does not saturate the link its users share.
/// Copies are admitted while the bytes sent so far stay within <c>limit × elapsed</c>; a worker ahead of the budget
/// waits until the budget catches up. Shared by every copy worker of a run.
/// </summary>
internal sealed class TransferRate(long bytesPerSecond)
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private long _bytes;

    public async Task AfterCopyAsync(long bytes, CancellationToken ct)
    {
        var sent = Interlocked.Add(ref _bytes, bytes);
        var due = TimeSpan.FromSeconds((double)sent / bytesPerSecond);
        var ahead = due - Stopwatch.GetElapsedTime(_start);
        if (ahead > TimeSpan.Zero) await Task.Delay(ahead, ct);
    }
}
