namespace Hygie.Fhir.Subscriptions;

/// <summary>The answer of a webhook endpoint: its HTTP status, or the transport error.</summary>
public sealed record WebhookResponse(int? Status, string? Error)
{
    public bool Delivered => Status is >= 200 and < 300;
}

/// <summary>
/// Posts what is due in the outbox. The transport is given by the host (the server's HttpClient): this class decides
/// what to send, when, and what to record. One instance runs at a time; it wakes when a write queues a notification
/// (<see cref="Wake"/>) and otherwise polls for retries that became due.
/// </summary>
public sealed class WebhookDispatcher(FhirStore store, Func<WebhookRequest, CancellationToken, Task<WebhookResponse>> send)
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    public void Wake()
    {
        if (_signal.CurrentCount == 0) _signal.Release();
    }

    public async Task RunAsync(CancellationToken ct)
    {
        store.NotificationsQueued += Wake;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await DeliverDueAsync(ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The store is briefly unavailable (closing, busy): try again at the next poll.
                }
                store.DeliveryPasses.Complete();
                try
                {
                    await _signal.WaitAsync(store.Options.WorkerPollInterval, ct);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            store.NotificationsQueued -= Wake;
        }
    }

    /// <summary>Sends every delivery due now (in parallel, a few at a time); returns how many were attempted.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            var due = await store.Subscriptions.DueAsync(32, ct);
            if (due.Count == 0) return total;
            await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (delivery, token) =>
            {
                var request = await store.Subscriptions.BuildAsync(delivery, token);
                if (request is null)
                {
                    await store.Subscriptions.DropAsync(delivery, token);
                    return;
                }
                WebhookResponse response;
                try
                {
                    response = await send(request, token);
                }
                catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    response = new WebhookResponse(null, e is OperationCanceledException ? "timed out" : e.GetType().Name);
                }
                await store.Subscriptions.RecordAsync(delivery, response.Delivered,
                    response.Delivered ? null : response.Error ?? $"HTTP {response.Status}", token);
            });
            total += due.Count;
        }
    }
}
