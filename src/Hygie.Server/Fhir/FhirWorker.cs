using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Hygie.Fhir;
using Hygie.Fhir.Subscriptions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hygie.Server.Fhir;

/// <summary>
/// The FHIR store's background work: webhook delivery (woken by each commit that queues a notification, retries on
/// their backoff), Bulk Data export jobs, and the periodic check of "no reading for a period" alert rules.
/// </summary>
public sealed class FhirWorker(FhirStore store, ILogger<FhirWorker> logger) : BackgroundService
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AllowAutoRedirect = false,
        // Straight to the subscriber: the address checked below is the address connected to, never a proxy's.
        UseProxy = false,
        ConnectCallback = (context, ct) => ConnectAsync(context, store.Options.AllowPrivateNetworkWebhooks, ct),
    })
    {
        Timeout = store.Options.DeliveryTimeout,
    };

    /// <summary>Resolves the subscriber's host at delivery time, refuses private addresses (unless allowed), and connects to the address checked.</summary>
    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivate, CancellationToken ct)
    {
        var address = await WebhookAddresses.ResolveAsync(context.DnsEndPoint.Host, allowPrivate, (host, token) => Dns.GetHostAddressesAsync(host, token), ct);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private readonly SemaphoreSlim _exports = new(0, int.MaxValue);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var dispatcher = new WebhookDispatcher(store, SendAsync);
        store.ExportRequested += WakeExports;
        return Task.WhenAll(
            Task.Run(() => dispatcher.RunAsync(stoppingToken), stoppingToken),
            Task.Run(() => ExportsAsync(stoppingToken), stoppingToken),
            Task.Run(() => AbsenceAsync(stoppingToken), stoppingToken));
    }

    private void WakeExports()
    {
        if (_exports.CurrentCount == 0) _exports.Release();
    }

    private async Task<WebhookResponse> SendAsync(WebhookRequest request, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, request.Endpoint) { Content = new ByteArrayContent(request.Body) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json") { CharSet = "utf-8" };
        foreach (var (name, value) in request.Headers)
            if (!message.Headers.TryAddWithoutValidation(name, value)) message.Content.Headers.TryAddWithoutValidation(name, value);
        try
        {
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct);
            return new WebhookResponse((int)response.StatusCode, response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}");
        }
        catch (HttpRequestException e) when (e.InnerException is WebhookAddressRefusedException refused)
        {
            return new WebhookResponse(null, $"not sent: {refused.Message}");
        }
        catch (HttpRequestException e)
        {
            return new WebhookResponse(null, e.HttpRequestError == HttpRequestError.Unknown ? "connection failed" : $"connection failed ({e.HttpRequestError})");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new WebhookResponse(null, "timed out");
        }
    }

    private async Task ExportsAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await store.Exports.RunQueuedAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("export worker: {ExceptionType}", e.GetType().Name);
            }
            store.ExportPasses.Complete();
            try { await _exports.WaitAsync(store.Options.WorkerPollInterval * 4, ct); } catch (OperationCanceledException) { break; }
        }
    }

    private async Task AbsenceAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try { await Task.Delay(store.Options.AbsenceCheckInterval, ct); } catch (OperationCanceledException) { break; }
            try
            {
                var fired = await store.Alerts.CheckAbsenceAsync(ct);
                if (fired > 0) logger.LogInformation("absence check: {Count} alerts", fired);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("absence check: {ExceptionType}", e.GetType().Name);
            }
            store.AbsencePasses.Complete();
        }
    }

    public override void Dispose()
    {
        store.ExportRequested -= WakeExports;
        _http.Dispose();
        _exports.Dispose();
        base.Dispose();
    }
}
