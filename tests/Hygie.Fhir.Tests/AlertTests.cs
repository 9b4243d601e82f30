using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Hygie.Fhir.Alerts;
using Hygie.Fhir.Subscriptions;
using Hygie.Testing;

namespace Hygie.Fhir.Tests;

/// <summary>
/// Remote-monitoring alerts: rules evaluated on every Observation written, a DetectedIssue per match, and R4 rest-hook
/// Subscriptions notified — proven by a webhook receiver on loopback (delivery, retries after failures, signature).
/// </summary>
public sealed class AlertTests : IAsyncLifetime
{
    private const string Loinc = "http://loinc.org";
    private FhirServer _server = null!;
    private WebhookReceiver _receiver = null!;
    private string _tenant = null!;
    private FhirClient _client = null!;
    private ManualClock _clock = null!;
    private string _token = null!;

    /// <summary>A safety net for waits on the worker: a hang fails the test instead of stalling the run (not a timing assertion).</summary>
    private readonly CancellationTokenSource _patience = new(TimeSpan.FromMinutes(2));
    private CancellationToken Patience => _patience.Token;

    public async Task InitializeAsync()
    {
        _clock = new ManualClock(DateTimeOffset.UtcNow);
        // The receiver listens on 127.0.0.1: this hub's operator allows webhooks on private networks.
        _server = await FhirServer.StartAsync(new FhirOptions { WorkerPollInterval = TimeSpan.FromMilliseconds(50), AllowPrivateNetworkWebhooks = true }, _clock);
        _receiver = await WebhookReceiver.StartAsync();
        _tenant = await _server.TenantAsync();
        _token = await _server.TokenAsync(_tenant);
        _client = _server.Client(_tenant, _token);
    }

    public async Task DisposeAsync()
    {
        _patience.Dispose();
        _client.Dispose();
        await _receiver.DisposeAsync();
        await _server.DisposeAsync();
    }

    private Task AddRuleAsync(string json) => _server.Store.Alerts.AddAsync(_tenant, AlertRule.Parse(Encoding.UTF8.GetBytes(json)), "operator");

    private async Task<(Subscription Subscription, string Secret)> SubscribeAsync(string criteria)
    {
        var subscription = await _client.CreateAsync(new Subscription
        {
            Status = Subscription.SubscriptionStatus.Requested,
            Reason = "remote monitoring",
            Criteria = criteria,
            Channel = new Subscription.ChannelComponent
            {
                Type = Subscription.SubscriptionChannelType.RestHook,
                Endpoint = _receiver.Url.ToString(),
                Payload = "application/fhir+json",
                Header = ["X-Tenant-Hook: ward-3"],
            },
        });
        Assert.Equal(Subscription.SubscriptionStatus.Active, subscription!.Status);
        var secret = ((FhirString)subscription.GetExtension(SubscriptionService.SecretExtension).Value).Value;
        return (subscription, secret);
    }

    private Task<Observation?> ObserveAsync(string patient, string code, decimal value, string unit, DateTimeOffset? at = null) => _client.CreateAsync(new Observation
    {
        Status = ObservationStatus.Final,
        Code = new CodeableConcept(Loinc, code),
        Subject = new ResourceReference($"Patient/{patient}"),
        Effective = new FhirDateTime(at ?? _clock.GetUtcNow()),
        Value = new Quantity(value, unit) { System = "http://unitsofmeasure.org", Code = unit },
    });

    private static string Sign(string secret, string timestamp, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), (byte[])[.. Encoding.UTF8.GetBytes(timestamp + "."), .. body]));

    private async Task<JsonElement> StatusAsync(string subscription)
    {
        using var http = _server.Http(_token);
        return JsonDocument.Parse(await http.GetStringAsync($"/fhir/{_tenant}/Subscription/{subscription}/$status")).RootElement;
    }

    private static int Value(JsonElement status, string name) =>
        status.GetProperty("parameter").EnumerateArray().First(p => p.GetProperty("name").GetString() == name).GetProperty("valueInteger").GetInt32();

    [Fact]
    public async Task A_reading_above_the_threshold_notifies_the_subscriber_signed()
    {
        await AddRuleAsync("""{"id":"tachycardia","name":"Heart rate above 120","code":{"system":"http://loinc.org","code":"8867-4"},"condition":{"type":"above","threshold":120,"unit":"/min"},"severity":"high"}""");
        var (subscription, secret) = await SubscribeAsync("DetectedIssue");
        var patient = await _client.CreateAsync(new Patient { Active = true });

        await ObserveAsync(patient!.Id, "8867-4", 80, "/min");
        var high = await ObserveAsync(patient.Id, "8867-4", 134, "/min");
        // Every notification of these writes was queued at their commit: once a whole delivery pass has run, each was sent.
        await _server.Store.DeliveryPasses.WaitForFullPassAsync(Patience);
        var call = Assert.Single(_receiver.Calls);

        Assert.Equal(Sign(secret, call.Headers["X-Hygie-Timestamp"], call.Body), call.Headers["X-Hygie-Signature"]);
        Assert.NotEqual(Sign("another secret", call.Headers["X-Hygie-Timestamp"], call.Body), call.Headers["X-Hygie-Signature"]);
        Assert.Equal(subscription.Id, call.Headers["X-Hygie-Subscription"]);
        Assert.Equal("ward-3", call.Headers["X-Tenant-Hook"]);
        var issue = new FhirJsonDeserializer().Deserialize<DetectedIssue>(Encoding.UTF8.GetString(call.Body));
        Assert.Equal($"Patient/{patient.Id}", issue.Patient.Reference);
        Assert.Equal($"Observation/{high!.Id}", issue.Implicated.Single().Reference);
        Assert.Equal(DetectedIssue.DetectedIssueSeverity.High, issue.Severity);
        Assert.Equal("tachycardia", issue.Code.Coding[0].Code);

        // The normal reading raised nothing (the single call above is the high one's); the alert is a resource of the tenant.
        var issues = await _client.SearchAsync<DetectedIssue>([$"patient=Patient/{patient.Id}"]);
        Assert.Equal(1, issues!.Total);
        var status = await StatusAsync(subscription.Id);
        Assert.Equal(1, Value(status, "delivered"));
        Assert.Equal(0, Value(status, "pending"));
    }

    [Fact]
    public async Task An_observation_in_a_transaction_bundle_raises_the_alert_and_notifies()
    {
        await AddRuleAsync("""{"id":"tachycardia","name":"Heart rate above 120","code":{"system":"http://loinc.org","code":"8867-4"},"condition":{"type":"above","threshold":120,"unit":"/min"},"severity":"high"}""");
        var (subscription, secret) = await SubscribeAsync("DetectedIssue");
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            FullUrl = "urn:uuid:6f1c0b5e-2a57-4d8e-9a3f-0c8c1d2e3f40",
            Resource = new Patient { Active = true },
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" },
        });
        foreach (var value in new[] { 76m, 141m })
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = new Observation
                {
                    Status = ObservationStatus.Final,
                    Code = new CodeableConcept(Loinc, "8867-4"),
                    Subject = new ResourceReference("urn:uuid:6f1c0b5e-2a57-4d8e-9a3f-0c8c1d2e3f40"),
                    Effective = new FhirDateTime(_clock.GetUtcNow()),
                    Value = new Quantity(value, "/min") { System = "http://unitsofmeasure.org", Code = "/min" },
                },
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Observation" },
            });
        var response = await _client.TransactionAsync(bundle);
        var patientId = response!.Entry[0].Response.Location.Split('/')[1];
        var highId = response.Entry[2].Response.Location.Split('/')[1];

        var issues = await _client.SearchAsync<DetectedIssue>([$"patient=Patient/{patientId}"]);
        var issue = Assert.Single(issues!.Entry).Resource as DetectedIssue;
        Assert.Equal($"Observation/{highId}", issue!.Implicated.Single().Reference);
        Assert.Equal("tachycardia", issue.Code.Coding[0].Code);

        await _server.Store.DeliveryPasses.WaitForFullPassAsync(Patience);
        var call = Assert.Single(_receiver.Calls);
        Assert.Equal(Sign(secret, call.Headers["X-Hygie-Timestamp"], call.Body), call.Headers["X-Hygie-Signature"]);
        Assert.Equal(subscription.Id, call.Headers["X-Hygie-Subscription"]);
        Assert.Equal($"DetectedIssue/{issue.Id}/_history/1", call.Headers["X-Hygie-Resource"]);
        Assert.Equal($"Observation/{highId}", new FhirJsonDeserializer().Deserialize<DetectedIssue>(Encoding.UTF8.GetString(call.Body)).Implicated.Single().Reference);
    }

    [Fact]
    public async Task A_failing_receiver_is_retried_with_backoff_and_the_status_shows_it()
    {
        await AddRuleAsync("""{"id":"hypoxia","name":"SpO2 below 90","code":{"system":"http://loinc.org","code":"59408-5"},"condition":{"type":"below","threshold":90},"severity":"moderate"}""");
        var (subscription, secret) = await SubscribeAsync("DetectedIssue?code=http://hygie.health/fhir/CodeSystem/alert-rule|hypoxia");
        var patient = await _client.CreateAsync(new Patient { Active = true });
        _receiver.FailNext(1000);
        await ObserveAsync(patient!.Id, "59408-5", 85, "%");
        var passes = _server.Store.DeliveryPasses;

        // First attempt at once; it fails, and the Subscription says so.
        await passes.WaitForFullPassAsync(Patience);
        Assert.Equal(500, Assert.Single(_receiver.Calls).Answered);
        var failing = await _client.ReadAsync<Subscription>($"Subscription/{subscription.Id}");
        Assert.Equal(Subscription.SubscriptionStatus.Error, failing!.Status);
        Assert.Contains("500", failing.Error);

        // The hub clock decides the backoff: 1 s after the first failure, 2 s after the second — not a moment sooner.
        foreach (var (delay, attempts) in new[] { (TimeSpan.FromSeconds(1), 2), (TimeSpan.FromSeconds(2), 3) })
        {
            _clock.Advance(delay - TimeSpan.FromMilliseconds(1));
            await passes.WaitForFullPassAsync(Patience);
            Assert.Equal(attempts - 1, _receiver.Calls.Count);
            _clock.Advance(TimeSpan.FromMilliseconds(1));
            await passes.WaitForFullPassAsync(Patience);
            Assert.Equal(attempts, _receiver.Calls.Count);
        }

        // The receiver recovers: the next attempt (4 s later) delivers, and nothing more is sent.
        _receiver.FailNext(0);
        _clock.Advance(TimeSpan.FromSeconds(4));
        await passes.WaitForFullPassAsync(Patience);
        var calls = _receiver.Calls.ToArray();
        Assert.Equal([500, 500, 500, 200], calls.Select(c => c.Answered));
        Assert.All(calls, c => Assert.Equal(Sign(secret, c.Headers["X-Hygie-Timestamp"], c.Body), c.Headers["X-Hygie-Signature"]));
        Assert.Single(calls.Select(c => c.Headers["X-Hygie-Delivery"]).Distinct());

        var status = await StatusAsync(subscription.Id);
        Assert.Equal(1, Value(status, "delivered"));
        Assert.Equal(3, Value(status, "failedAttempts"));
        Assert.Equal(0, Value(status, "pending"));
        Assert.Equal(Subscription.SubscriptionStatus.Active, (await _client.ReadAsync<Subscription>($"Subscription/{subscription.Id}"))!.Status);
        _clock.Advance(TimeSpan.FromMinutes(20));
        await passes.WaitForFullPassAsync(Patience);
        Assert.Equal(4, _receiver.Calls.Count);
    }

    [Fact]
    public async Task The_signing_secret_is_shown_once_at_creation_and_kept_across_updates()
    {
        await AddRuleAsync("""{"id":"tachycardia","name":"Heart rate above 120","code":{"system":"http://loinc.org","code":"8867-4"},"condition":{"type":"above","threshold":120},"severity":"high"}""");
        var (subscription, secret) = await SubscribeAsync("DetectedIssue");
        Assert.False(string.IsNullOrEmpty(secret));

        // Never again: not on read, vread, search, history — nor in the answer to an update that keeps it.
        using var http = _server.Http(_token);
        foreach (var url in new[] { $"Subscription/{subscription.Id}", $"Subscription/{subscription.Id}/_history/1", "Subscription", $"Subscription/{subscription.Id}/_history", "_history" })
        {
            var body = await http.GetStringAsync($"/fhir/{_tenant}/{url}");
            Assert.DoesNotContain(secret, body);
            Assert.DoesNotContain(SubscriptionService.SecretExtension, body);
        }
        var read = await _client.ReadAsync<Subscription>($"Subscription/{subscription.Id}");
        read!.Reason = "remote monitoring, ward 3";
        var updated = await _client.UpdateAsync(read);
        Assert.Null(updated!.GetExtension(SubscriptionService.SecretExtension));

        // The kept secret signs the notifications.
        var patient = await _client.CreateAsync(new Patient { Active = true });
        await ObserveAsync(patient!.Id, "8867-4", 150, "/min");
        await _server.Store.DeliveryPasses.WaitForFullPassAsync(Patience);
        var call = Assert.Single(_receiver.Calls);
        Assert.Equal(Sign(secret, call.Headers["X-Hygie-Timestamp"], call.Body), call.Headers["X-Hygie-Signature"]);
    }

    [Fact]
    public async Task A_secret_the_client_chose_is_used_and_never_echoed()
    {
        const string chosen = "ward-3-shared-signing-secret";
        var request = new Subscription
        {
            Status = Subscription.SubscriptionStatus.Requested, Reason = "x", Criteria = "Patient",
            Channel = new Subscription.ChannelComponent { Type = Subscription.SubscriptionChannelType.RestHook, Endpoint = _receiver.Url.ToString(), Payload = "application/fhir+json" },
        };
        request.SetExtension(SubscriptionService.SecretExtension, new FhirString("too-short"));
        var e = await Assert.ThrowsAsync<FhirOperationException>(() => _client.CreateAsync(request));
        Assert.Equal((HttpStatusCode)422, e.Status);
        Assert.Contains("at least 16 characters", e.Outcome!.Issue[0].Diagnostics);

        request.SetExtension(SubscriptionService.SecretExtension, new FhirString(chosen));
        var created = await _client.CreateAsync(request);
        Assert.Null(created!.GetExtension(SubscriptionService.SecretExtension));
        await _client.CreateAsync(new Patient { Active = true });
        await _server.Store.DeliveryPasses.WaitForFullPassAsync(Patience);
        var call = Assert.Single(_receiver.Calls);
        Assert.Equal(Sign(chosen, call.Headers["X-Hygie-Timestamp"], call.Body), call.Headers["X-Hygie-Signature"]);
    }

    [Fact]
    public async Task N_readings_within_a_window_raise_one_alert()
    {
        await AddRuleAsync("""{"id":"hypertension","name":"3 systolic readings above 140 in 24 h","code":{"system":"http://loinc.org","code":"8480-6"},"condition":{"type":"above","threshold":140,"count":3,"window":"PT24H"},"severity":"moderate"}""");
        var patient = await _client.CreateAsync(new Patient { Active = true });
        var start = _clock.GetUtcNow().AddHours(-5);
        await ObserveAsync(patient!.Id, "8480-6", 150, "mm[Hg]", start);
        await ObserveAsync(patient.Id, "8480-6", 120, "mm[Hg]", start.AddHours(1));
        await ObserveAsync(patient.Id, "8480-6", 155, "mm[Hg]", start.AddHours(2));
        Assert.Equal(0, (await _client.SearchAsync<DetectedIssue>([$"patient=Patient/{patient.Id}"]))!.Total);
        await ObserveAsync(patient.Id, "8480-6", 160, "mm[Hg]", start.AddHours(3));
        Assert.Equal(1, (await _client.SearchAsync<DetectedIssue>([$"patient=Patient/{patient.Id}"]))!.Total);
        await ObserveAsync(patient.Id, "8480-6", 170, "mm[Hg]", start.AddHours(4));
        Assert.Equal(1, (await _client.SearchAsync<DetectedIssue>([$"patient=Patient/{patient.Id}"]))!.Total);
    }

    [Fact]
    public async Task Rules_with_unknown_conditions_or_members_are_refused_422_and_duplicates_409()
    {
        using var http = _server.Http(_server.Server.Hub.OperatorToken);
        async Task<HttpStatusCode> Post(string json) =>
            (await http.PostAsync($"/api/fhir/tenants/{_tenant}/alert-rules", new StringContent(json, Encoding.UTF8, "application/json"))).StatusCode;
        const string good = """{"id":"r1","name":"r","code":{"code":"8867-4"},"condition":{"type":"above","threshold":1},"severity":"low"}""";
        Assert.Equal(HttpStatusCode.Created, await Post(good));
        Assert.Equal(HttpStatusCode.Conflict, await Post(good));
        Assert.Equal((HttpStatusCode)422, await Post("""{"name":"r","code":{"code":"x"},"condition":{"type":"greater","threshold":1},"severity":"low"}"""));
        Assert.Equal((HttpStatusCode)422, await Post("""{"name":"r","code":{"code":"x"},"condition":{"type":"above"},"severity":"low"}"""));
        Assert.Equal((HttpStatusCode)422, await Post("""{"name":"r","code":{"code":"x"},"condition":{"type":"absent","period":"one day"},"severity":"low"}"""));
        Assert.Equal((HttpStatusCode)422, await Post("""{"name":"r","code":{"code":"x"},"condition":{"type":"absent","period":"P1D"},"severity":"urgent"}"""));
        Assert.Equal((HttpStatusCode)422, await Post("""{"name":"r","code":{"code":"x"},"condition":{"type":"count","count":2,"window":"PT1H"},"severity":"low","extra":1}"""));
        Assert.Equal(HttpStatusCode.BadRequest, await Post("""{"name":"""));
        Assert.Single(await _server.Store.Alerts.ListAsync(_tenant));
    }

    [Fact]
    public async Task Only_rest_hook_subscriptions_with_evaluable_criteria_are_accepted()
    {
        var websocket = new Subscription
        {
            Status = Subscription.SubscriptionStatus.Requested, Reason = "x", Criteria = "DetectedIssue",
            Channel = new Subscription.ChannelComponent { Type = Subscription.SubscriptionChannelType.Websocket },
        };
        Assert.Equal((HttpStatusCode)422, (await Assert.ThrowsAsync<FhirOperationException>(() => _client.CreateAsync(websocket))).Status);
        websocket.Channel = new Subscription.ChannelComponent { Type = Subscription.SubscriptionChannelType.RestHook, Endpoint = _receiver.Url.ToString() };
        websocket.Criteria = "DetectedIssue?nonsense=1";
        var e = await Assert.ThrowsAsync<FhirOperationException>(() => _client.CreateAsync(websocket));
        Assert.Equal((HttpStatusCode)422, e.Status);
        Assert.Contains("nonsense", e.Outcome!.Issue[0].Diagnostics);
    }
}

/// <summary>"No reading for a period", checked by the background worker against the hub clock.</summary>
public sealed class AbsenceAlertTests
{
    [Fact]
    public async Task No_reading_for_the_period_raises_an_alert_once()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await FhirServer.StartAsync(new FhirOptions { AbsenceCheckInterval = TimeSpan.FromMilliseconds(100), WorkerPollInterval = TimeSpan.FromMilliseconds(100) }, clock);
        var tenant = await server.TenantAsync();
        await server.Store.Alerts.AddAsync(tenant, AlertRule.Parse("""{"id":"silent-scale","name":"No weight for a day","code":{"system":"http://loinc.org","code":"29463-7"},"condition":{"type":"absent","period":"P1D"},"severity":"low"}"""u8), "operator");
        using var client = server.Client(tenant, await server.TokenAsync(tenant));
        var patient = await client.CreateAsync(new Patient { Active = true });
        await client.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "29463-7"),
            Subject = new ResourceReference($"Patient/{patient!.Id}"),
            Effective = new FhirDateTime(clock.GetUtcNow()),
            Value = new Quantity(81.5m, "kg"),
        });
        async Task<int> Alerts() => (await client.SearchAsync<DetectedIssue>([$"patient=Patient/{patient.Id}"]))!.Total!.Value;

        // Each step waits for a whole check that began after the clock moved: the worker has seen the new time.
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        clock.Advance(TimeSpan.FromHours(23));
        await server.Store.AbsencePasses.WaitForFullPassAsync(patience.Token);
        Assert.Equal(0, await Alerts());

        clock.Advance(TimeSpan.FromHours(2));
        await server.Store.AbsencePasses.WaitForFullPassAsync(patience.Token);
        Assert.Equal(1, await Alerts());
        var issue = (await client.SearchAsync<DetectedIssue>([$"patient=Patient/{patient.Id}"]))!.Entry.Single().Resource as DetectedIssue;
        Assert.Contains("no reading of 29463-7", issue!.Detail);

        clock.Advance(TimeSpan.FromHours(30));
        await server.Store.AbsencePasses.WaitForFullPassAsync(patience.Token);
        Assert.Equal(1, await Alerts());
    }
}
