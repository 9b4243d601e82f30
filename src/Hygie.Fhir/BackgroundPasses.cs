namespace Hygie.Fhir;

/// <summary>
/// How far a background worker has got: the number of passes it has completed (a delivery pass sends everything due,
/// an absence pass checks every "no reading" rule, an export pass runs every queued job). Whoever must know that the
/// worker has seen a state — an operator's status, a test — waits for a pass rather than for a delay.
/// </summary>
public sealed class BackgroundPasses
{
    private long _completed;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Called by the worker at the end of each pass.</summary>
    public void Complete()
    {
        var done = Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Interlocked.Increment(ref _completed);
        done.TrySetResult();
    }

    /// <summary>Completes once <paramref name="passes"/> passes in all have completed.</summary>
    public async Task WaitForAsync(long passes, CancellationToken ct = default)
    {
        while (true)
        {
            var next = Volatile.Read(ref _next).Task;
            if (Completed >= passes) return;
            await next.WaitAsync(ct);
        }
    }

    /// <summary>
    /// Completes once a whole pass has run that started after this call: whatever was committed before it, the worker
    /// has seen (the pass under way, if any, may have started earlier: it is the second completion that counts).
    /// </summary>
    public Task WaitForFullPassAsync(CancellationToken ct = default) => WaitForAsync(Completed + 2, ct);
}
