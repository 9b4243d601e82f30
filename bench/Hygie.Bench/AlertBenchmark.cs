using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hygie.Fhir;
using Hygie.Fhir.Alerts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hygie.Bench;

/// <summary>
/// <c>alerts</c>: how soon a remote-monitoring alert reaches its subscriber. A heart-rate rule and a rest-hook
/// Subscription on DetectedIssue; while 4 clients write ordinary Observations as fast as they can, a probe writes one
/// alerting Observation at a time and measures from the moment it sends the write to the moment the webhook receiver
/// has the signed notification. The baseline, interleaved with the probes under the same load, is a bare HTTP POST of
/// a notification-sized body from the bench to the same receiver. Target: p99 within one second of the write.
/// </summary>
public static class AlertBenchmark
{
    private const double TargetMs = 1000;

    public static async Task<int> RunAsync(string[] args)
    {
        var probes = args.Length > 0 ? int.Parse(args[0]) : 200;
        const int writers = 4;
        await using var receiver = await Receiver.StartAsync();
        await using var server = await FhirBenchServer.StartAsync(new FhirOptions { AllowPrivateNetworkWebhooks = true });
        var tenant = await server.TenantAsync("monitoring");
        await server.Store.Alerts.AddAsync(tenant, AlertRule.Parse(
            """{"id":"tachycardia","name":"Heart rate above 120","code":{"system":"http://loinc.org","code":"8867-4"},"condition":{"type":"above","threshold":120,"unit":"/min"},"severity":"high"}"""u8), "bench");
        using var http = server.Client(tenant);
        (await Post(http, "Subscription", $$$"""
            {"resourceType":"Subscription","status":"requested","reason":"bench","criteria":"DetectedIssue",
             "channel":{"type":"rest-hook","endpoint":"{{{receiver.Url}}}","payload":"application/fhir+json"}}
            """)).EnsureSuccessStatusCode();
        var patients = new List<string>();
        for (var i = 0; i < 20; i++)
            patients.Add(JsonDocument.Parse(await (await Post(http, "Patient", """{"resourceType":"Patient","active":true}""", minimal: false)).Content.ReadAsStringAsync())
                .RootElement.GetProperty("id").GetString()!);
        Console.WriteLine($"alerts: {probes} probes (alert vs bare POST, interleaved) under {writers} clients writing ordinary Observations");

        // Warm-up: one alert and one bare POST end to end.
        await ProbeAlertAsync(http, receiver, patients[0]);
        await ProbeBaselineAsync(receiver);

        using var stop = new CancellationTokenSource();
        var written = 0L;
        var load = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            using var client = server.Client(tenant);
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                using var response = await Post(client, "Observation", HeartRate(patients[(w * 7 + n++) % patients.Count], 72 + n % 20));
                response.EnsureSuccessStatusCode();
                Interlocked.Increment(ref written);
            }
        })).ToList();

        var alert = new List<double>();
        var answered = new List<double>();
        var baseline = new List<double>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < probes; i++)
        {
            alert.Add(await ProbeAlertAsync(http, receiver, patients[i % patients.Count], answered));
            baseline.Add(await ProbeBaselineAsync(receiver));
        }
        var seconds = clock.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        await Task.WhenAll(load);

        alert.Sort();
        answered.Sort();
        baseline.Sort();
        double P(List<double> l, double q) => l[Math.Min(l.Count - 1, (int)(l.Count * q))];
        Console.WriteLine($"  load: {written / seconds:F0} Observations/s written by {writers} clients during the probes");
        Console.WriteLine($"  alert (write → webhook received): p50 {P(alert, 0.5):F1} ms, p99 {P(alert, 0.99):F1} ms, max {alert[^1]:F1} ms");
        Console.WriteLine($"    of which the write's own answer: p50 {P(answered, 0.5):F1} ms, p99 {P(answered, 0.99):F1} ms");
        Console.WriteLine($"  baseline (bare POST → received):  p50 {P(baseline, 0.5):F1} ms, p99 {P(baseline, 0.99):F1} ms");
        Console.WriteLine($"  ratio alert / bare POST: p50 ×{P(alert, 0.5) / P(baseline, 0.5):F1}, p99 ×{P(alert, 0.99) / P(baseline, 0.99):F1}");
        return Report.Absolute("alerts p99 from write to webhook", P(alert, 0.99), "ms", TargetMs, higherIsBetter: false) ? 0 : 1;
    }

    private static string HeartRate(string patient, decimal value) => $$$"""
        {"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},
         "subject":{"reference":"Patient/{{{patient}}}"},"effectiveDateTime":"{{{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ}}}",
         "valueQuantity":{"value":{{{value}}},"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}
        """;

    private static Task<HttpResponseMessage> Post(HttpClient http, string path, string json, bool minimal = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
        if (!minimal) request.Headers.Add("Prefer", "return=representation");
        return http.SendAsync(request);
    }

    /// <summary>Writes an alerting Observation with an id chosen here (update-as-create), and waits for its notification.</summary>
    private static async Task<double> ProbeAlertAsync(HttpClient http, Receiver receiver, string patient, List<double>? answered = null)
    {
        var id = Guid.NewGuid().ToString();
        var arrived = receiver.Expect($"Observation/{id}");
        var json = HeartRate(patient, 150).Replace("""{"resourceType":"Observation",""", $$"""{"resourceType":"Observation","id":"{{id}}",""");
        var start = Stopwatch.GetTimestamp();
        var request = new HttpRequestMessage(HttpMethod.Put, $"Observation/{id}") { Content = new StringContent(json, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
        using (var response = await http.SendAsync(request)) response.EnsureSuccessStatusCode();
        answered?.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        var at = await arrived.WaitAsync(TimeSpan.FromSeconds(30));
        return Stopwatch.GetElapsedTime(start, at).TotalMilliseconds;
    }

    private static readonly HttpClient Bare = new(new SocketsHttpHandler { UseProxy = false });
    private static readonly string Padding = new('x', 900);

    /// <summary>A bare POST of a body the size of a notification, with a probe id the receiver reports back.</summary>
    private static async Task<double> ProbeBaselineAsync(Receiver receiver)
    {
        var id = Guid.NewGuid().ToString();
        var arrived = receiver.Expect($"Observation/{id}");
        var start = Stopwatch.GetTimestamp();
        using (var response = await Bare.PostAsync(receiver.Url, new StringContent($$"""{"implicated":[{"reference":"Observation/{{id}}"}],"padding":"{{Padding}}"}""", Encoding.UTF8, "application/fhir+json")))
            response.EnsureSuccessStatusCode();
        var at = await arrived.WaitAsync(TimeSpan.FromSeconds(30));
        return Stopwatch.GetElapsedTime(start, at).TotalMilliseconds;
    }

    /// <summary>A webhook endpoint on loopback: notes when each notification arrives, by the Observation it implicates.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _expected = new();

        private Receiver(WebApplication app) => _app = app;

        public string Url => _app.Urls.First() + "/hook";

        public Task<long> Expect(string reference) =>
            _expected.GetOrAdd(reference, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public static async Task<Receiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var receiver = new Receiver(app);
            app.MapPost("/hook", async (HttpContext http) =>
            {
                using var body = await JsonDocument.ParseAsync(http.Request.Body);
                var at = Stopwatch.GetTimestamp();
                if (body.RootElement.TryGetProperty("implicated", out var implicated))
                    foreach (var reference in implicated.EnumerateArray())
                        if (reference.GetProperty("reference").GetString() is { } r && receiver._expected.TryGetValue(r, out var waiting))
                            waiting.TrySetResult(at);
                return Results.Ok();
            });
            await app.StartAsync();
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
