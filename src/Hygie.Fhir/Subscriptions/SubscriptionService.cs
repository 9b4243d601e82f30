using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hygie.Core.Audit;
using Hygie.Fhir.Rest;
using Hygie.Fhir.Search;
using Hygie.Fhir.Serialization;
using Hygie.Fhir.Storage;
using Hygie.Fhir.Tenants;

namespace Hygie.Fhir.Subscriptions;

/// <summary>A notification waiting in the outbox.</summary>
public sealed record PendingDelivery(long Seq, string Tenant, string SubscriptionId, string Type, string ResourceId, int Version, int Attempts);

/// <summary>A subscription's signing secret; <see cref="Generated"/> when the server made it (shown once, in the creation's answer).</summary>
public readonly record struct SubscriptionSecret(string Value, bool Generated)
{
    public override string ToString() => "SubscriptionSecret { [hidden] }";
}

/// <summary>A signed webhook request, ready to send.</summary>
public sealed record WebhookRequest(Uri Endpoint, byte[] Body, IReadOnlyList<KeyValuePair<string, string>> Headers);

/// <summary>
/// R4 Subscriptions with a <c>rest-hook</c> channel. Writing a Subscription validates it, makes it <c>active</c>, gives
/// it a signing secret (extension <see cref="SecretExtension"/>; generated when absent) and records its routing row.
/// Every write transaction then puts a notification in the outbox (<c>fhir_deliveries</c>) for each active
/// subscription whose criteria the written resource matches; a background worker posts them (see
/// <see cref="WebhookDispatcher"/>), signed with HMAC-SHA256, retried with exponential backoff.
/// </summary>
public sealed class SubscriptionService(FhirStore store)
{
    public const string SecretExtension = "http://hygie.health/fhir/StructureDefinition/subscription-secret";
    public const string SignatureHeader = "X-Hygie-Signature";
    public const string TimestampHeader = "X-Hygie-Timestamp";

    /// <summary>
    /// Validates a Subscription about to be written, makes it active, and takes its signing secret out of it: the
    /// secret is kept sealed in the routing row only, never in the stored resource, so reads, searches, history and
    /// exports never show it. It is the client's (extension <see cref="SecretExtension"/>, at least 16 characters), the
    /// previous version's when an update leaves it out, or a new one that the creation's answer shows once.
    /// </summary>
    public async Task<SubscriptionSecret> PrepareAsync(WriteSession s, Subscription subscription, Hygie.Fhir.Storage.CurrentRow? current)
    {
        var channel = subscription.Channel ?? throw FhirException.Unprocessable("a Subscription needs a channel", "Subscription.channel");
        if (channel.Type != Subscription.SubscriptionChannelType.RestHook)
            throw FhirException.Unprocessable($"only rest-hook channels are supported, not {channel.Type?.ToString() ?? "none"}", "Subscription.channel.type");
        if (WebhookAddresses.UrlProblem(channel.Endpoint, store.Options.AllowPrivateNetworkWebhooks) is { } problem)
            throw FhirException.Unprocessable(problem, "Subscription.channel.endpoint");
        if (channel.Payload is not (null or "application/fhir+json" or "application/json"))
            throw FhirException.Unprocessable($"channel.payload must be application/fhir+json or absent (a ping), not '{channel.Payload}'", "Subscription.channel.payload");
        foreach (var header in channel.Header)
            if (header is null || !header.Contains(':')) throw FhirException.Unprocessable("channel.header entries are 'Name: value'", "Subscription.channel.header");
        Criteria(subscription.Criteria);
        subscription.Status = subscription.Status == Subscription.SubscriptionStatus.Off ? Subscription.SubscriptionStatus.Off : Subscription.SubscriptionStatus.Active;
        subscription.Error = null;

        var given = (subscription.GetExtension(SecretExtension)?.Value as FhirString)?.Value;
        subscription.RemoveExtension(SecretExtension);
        if (!string.IsNullOrEmpty(given))
        {
            if (given.Length < 16)
                throw FhirException.Unprocessable("a subscription's signing secret has at least 16 characters (or leave it out: the server makes one)",
                    $"Subscription.extension('{SecretExtension}')");
            return new SubscriptionSecret(given, Generated: false);
        }
        if (current is { Deleted: false } && await SecretOfAsync(s.Sql, s.Context.Tenant, current.Id) is { } previous)
            return new SubscriptionSecret(previous, Generated: false);
        return new SubscriptionSecret(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), Generated: true);
    }

    /// <summary>The stored JSON of a Subscription with its new secret, for the one answer that shows it.</summary>
    public static byte[] WithSecret(byte[] json, string secret)
    {
        var subscription = (Subscription)FhirJson.Parse(json);
        subscription.SetExtension(SecretExtension, new FhirString(secret));
        return FhirJson.Serialize(subscription);
    }

    /// <summary>Parses criteria such as <c>DetectedIssue?patient=Patient/1</c>; 422 when the server could not evaluate them.</summary>
    public SearchRequest Criteria(string? criteria)
    {
        if (string.IsNullOrWhiteSpace(criteria)) throw FhirException.Unprocessable("a Subscription needs criteria (e.g. DetectedIssue?patient=Patient/123)", "Subscription.criteria");
        var question = criteria.IndexOf('?');
        var type = question < 0 ? criteria : criteria[..question];
        if (!SearchParameterRegistry.IsKnownType(type)) throw FhirException.Unprocessable($"criteria: '{type}' is not a resource type", "Subscription.criteria");
        try
        {
            return SearchRequest.Parse(type, QueryString.Parse(question < 0 ? null : criteria[(question + 1)..]), store.Options, strict: true);
        }
        catch (FhirException e) when (e.Status == 400)
        {
            throw FhirException.Unprocessable($"criteria: {e.Message}", "Subscription.criteria");
        }
    }

    public async Task SaveAsync(WriteSession s, Subscription subscription, SubscriptionSecret signing)
    {
        var t = s.Context.Tenant;
        var secret = signing.Value;
        await s.Sql.ExecuteAsync(
            "INSERT INTO fhir_subscriptions (tenant, id, criteria, endpoint, payload, headers, secret, active, delivered, failures) " +
            "VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, 0, 0) ON CONFLICT (tenant, id) DO UPDATE SET criteria = excluded.criteria, " +
            "endpoint = excluded.endpoint, payload = excluded.payload, headers = excluded.headers, secret = excluded.secret, active = excluded.active, " +
            "last_status = NULL, last_error = NULL",
            t.Id, subscription.Id, subscription.Criteria, subscription.Channel.Endpoint, subscription.Channel.Payload,
            string.Join("\n", subscription.Channel.Header), t.SealSecret(Encoding.UTF8.GetBytes(secret), $"subscription/{subscription.Id}"),
            subscription.Status == Subscription.SubscriptionStatus.Active ? 1 : 0);
    }

    public Task RemoveAsync(WriteSession s, string id) =>
        s.Sql.ExecuteAsync("DELETE FROM fhir_subscriptions WHERE tenant = @p0 AND id = @p1", s.Context.Tenant.Id, id);

    private static async Task<string?> SecretOfAsync(SqlSession sql, TenantContext t, string id)
    {
        var sealedSecret = await sql.ScalarAsync("SELECT secret FROM fhir_subscriptions WHERE tenant = @p0 AND id = @p1", t.Id, id);
        return sealedSecret is byte[] bytes ? Encoding.UTF8.GetString(t.OpenSecret(bytes, $"subscription/{id}")) : null;
    }

    /// <summary>Puts a notification in the outbox for every (active subscription, written resource) that matches.</summary>
    public async Task EnqueueMatchesAsync(WriteSession s)
    {
        var written = s.Written.Where(w => !w.Deleted).ToList();
        if (written.Count == 0) return;
        var subscriptions = new List<(string Id, SearchRequest Criteria)>();
        await using (var reader = await s.Sql.ReaderAsync("SELECT id, criteria FROM fhir_subscriptions WHERE tenant = @p0 AND active = 1", s.Context.Tenant.Id))
            while (await reader.ReadAsync())
            {
                var criteria = reader.GetString(1);
                var question = criteria.IndexOf('?');
                var type = question < 0 ? criteria : criteria[..question];
                if (!written.Any(w => w.Type == type)) continue;
                subscriptions.Add((reader.GetString(0), SearchRequest.Parse(type, QueryString.Parse(question < 0 ? null : criteria[(question + 1)..]), store.Options, strict: false)));
            }
        if (subscriptions.Count == 0) return;
        var now = s.Now.ToUnixTimeMilliseconds();
        foreach (var w in written)
            foreach (var (id, criteria) in subscriptions)
            {
                if (criteria.Type != w.Type || !await SearchEngine.MatchesAsync(s.Sql, s.Context.Tenant, criteria, w.Rid)) continue;
                await s.Sql.ExecuteAsync(
                    "INSERT INTO fhir_deliveries (tenant, subscription_id, type, resource_id, version, status, attempts, next_attempt, created_at) " +
                    "VALUES (@p0, @p1, @p2, @p3, @p4, 'pending', 0, @p5, @p5)",
                    s.Context.Tenant.Id, id, w.Type, w.Id, w.Version, now);
                s.NotificationsQueued = true;
            }
    }

    /// <summary>Shows the live delivery state on a read Subscription: <c>status</c> is <c>error</c> while deliveries fail.</summary>
    public static async Task<byte[]> OverlayAsync(SqlSession sql, TenantContext t, string id, byte[] json)
    {
        await using var reader = await sql.ReaderAsync("SELECT last_status, last_error FROM fhir_subscriptions WHERE tenant = @p0 AND id = @p1", t.Id, id);
        if (!await reader.ReadAsync() || reader.IsDBNull(0) || reader.GetString(0) != "error") return json;
        var node = JsonNode.Parse(json)!.AsObject();
        node["status"] = "error";
        node["error"] = reader.IsDBNull(1) ? "the last delivery failed" : reader.GetString(1);
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    /// <summary>Delivery state of one subscription, as a Parameters resource (<c>GET Subscription/{id}/$status</c>).</summary>
    public async Task<byte[]> StatusAsync(SqlSession sql, FhirRequestContext ctx, string id)
    {
        ctx.Caller.Scopes.Require("Subscription", SmartAction.Read);
        await using var reader = await sql.ReaderAsync(
            "SELECT active, last_status, last_error, last_attempt, delivered, failures FROM fhir_subscriptions WHERE tenant = @p0 AND id = @p1", ctx.Tenant.Id, id);
        if (!await reader.ReadAsync()) throw FhirException.NotFound($"Subscription/{id} is not known");
        var parameters = new Parameters();
        var lastStatus = reader.IsDBNull(1) ? null : reader.GetString(1);
        parameters.Add("status", new Code(Convert.ToInt64(reader.GetValue(0)) == 0 ? "off" : lastStatus == "error" ? "error" : "active"));
        parameters.Add("delivered", new Integer((int)Convert.ToInt64(reader.GetValue(4))));
        parameters.Add("failedAttempts", new Integer((int)Convert.ToInt64(reader.GetValue(5))));
        if (lastStatus is not null) parameters.Add("lastOutcome", new Code(lastStatus));
        if (!reader.IsDBNull(2)) parameters.Add("lastError", new FhirString(reader.GetString(2)));
        if (!reader.IsDBNull(3)) parameters.Add("lastAttempt", new Instant(DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture)));
        await reader.DisposeAsync();
        var pending = Convert.ToInt64(await sql.ScalarAsync(
            "SELECT COUNT(*) FROM fhir_deliveries WHERE tenant = @p0 AND subscription_id = @p1 AND status = 'pending'", ctx.Tenant.Id, id));
        parameters.Add("pending", new Integer((int)pending));
        var failed = Convert.ToInt64(await sql.ScalarAsync(
            "SELECT COUNT(*) FROM fhir_deliveries WHERE tenant = @p0 AND subscription_id = @p1 AND status = 'failed'", ctx.Tenant.Id, id));
        parameters.Add("abandoned", new Integer((int)failed));
        return FhirJson.Serialize(parameters);
    }

    // ---- delivery (the worker's side) ----

    public async Task<IReadOnlyList<PendingDelivery>> DueAsync(int max, CancellationToken ct)
    {
        await using var connection = await store.Hub.Metadata.OpenConnectionAsync(ct);
        await using var sql = new SqlSession(connection, null);
        var list = new List<PendingDelivery>();
        await using var reader = await sql.ReaderAsync(
            "SELECT seq, tenant, subscription_id, type, resource_id, version, attempts FROM fhir_deliveries WHERE status = 'pending' AND next_attempt <= @p0 ORDER BY seq LIMIT @p1",
            store.Hub.Clock.GetUtcNow().ToUnixTimeMilliseconds(), max);
        while (await reader.ReadAsync())
            list.Add(new PendingDelivery(Convert.ToInt64(reader.GetValue(0)), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                Convert.ToInt32(reader.GetValue(5)), Convert.ToInt32(reader.GetValue(6))));
        return list;
    }

    /// <summary>The signed request for a delivery, or null when its subscription is gone or off (the delivery is dropped).</summary>
    public async Task<WebhookRequest?> BuildAsync(PendingDelivery d, CancellationToken ct)
    {
        var tenant = await store.OpenTenantAsync(d.Tenant, ct);
        await using var connection = await store.Hub.Metadata.OpenConnectionAsync(ct);
        await using var sql = new SqlSession(connection, null);
        string endpoint, headers;
        string? payload;
        byte[] sealedSecret;
        await using (var reader = await sql.ReaderAsync(
            "SELECT endpoint, payload, headers, secret, active FROM fhir_subscriptions WHERE tenant = @p0 AND id = @p1", d.Tenant, d.SubscriptionId))
        {
            if (!await reader.ReadAsync() || Convert.ToInt64(reader.GetValue(4)) == 0) return null;
            endpoint = reader.GetString(0);
            payload = reader.IsDBNull(1) ? null : reader.GetString(1);
            headers = reader.IsDBNull(2) ? "" : reader.GetString(2);
            sealedSecret = (byte[])reader.GetValue(3);
        }
        var body = Array.Empty<byte>();
        if (payload is not null)
        {
            var version = await ResourceRepository.ReadAsync(sql, tenant, d.Type, d.ResourceId, d.Version);
            body = version?.Json ?? [];
        }
        var secret = tenant.OpenSecret(sealedSecret, $"subscription/{d.SubscriptionId}");
        var timestamp = store.Hub.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var list = new List<KeyValuePair<string, string>>
        {
            new("X-Hygie-Subscription", d.SubscriptionId),
            new("X-Hygie-Delivery", d.Seq.ToString(CultureInfo.InvariantCulture)),
            new("X-Hygie-Resource", $"{d.Type}/{d.ResourceId}/_history/{d.Version}"),
            new(TimestampHeader, timestamp),
            new(SignatureHeader, Sign(secret, timestamp, body)),
        };
        foreach (var line in headers.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':');
            list.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }
        return new WebhookRequest(new Uri(endpoint), body, list);
    }

    /// <summary><c>sha256=</c> and the hex HMAC-SHA256, under the subscription's secret, of <c>timestamp + "." + body</c>.</summary>
    public static string Sign(byte[] secret, string timestamp, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);
        hmac.AppendData(Encoding.UTF8.GetBytes(timestamp + "."));
        hmac.AppendData(body);
        return "sha256=" + Convert.ToHexStringLower(hmac.GetHashAndReset());
    }

    /// <summary>Records an attempt: delivered, or failed and rescheduled with exponential backoff (or abandoned). Audited.</summary>
    public async Task RecordAsync(PendingDelivery d, bool delivered, string? error, CancellationToken ct)
    {
        var now = store.Hub.Clock.GetUtcNow();
        var attempts = d.Attempts + 1;
        var options = store.Options;
        var abandoned = !delivered && attempts >= options.MaxDeliveryAttempts;
        var delay = TimeSpan.FromMilliseconds(Math.Min(options.DeliveryBackoffCap.TotalMilliseconds,
            options.DeliveryBackoff.TotalMilliseconds * Math.Pow(2, attempts - 1)));
        var status = delivered ? "delivered" : abandoned ? "failed" : "pending";
        var audit = new AuditEntry("hygie-subscriptions", "fhir.notify", $"fhir:{d.Tenant}/Subscription/{d.SubscriptionId}",
            delivered ? AuditOutcome.Success : AuditOutcome.Failed, delivered ? null : error,
            new Dictionary<string, string>
            {
                ["tenant"] = d.Tenant,
                ["resource"] = $"{d.Type}/{d.ResourceId}/_history/{d.Version}",
                ["attempt"] = attempts.ToString(CultureInfo.InvariantCulture),
                ["status"] = status,
            });
        await store.Hub.Audit.CommitWithAsync([audit], async (connection, tx) =>
        {
            await using var sql = new SqlSession(connection, tx);
            await sql.ExecuteAsync("UPDATE fhir_deliveries SET status = @p0, attempts = @p1, next_attempt = @p2, delivered_at = @p3, last_error = @p4 WHERE seq = @p5",
                status, attempts, (now + delay).ToUnixTimeMilliseconds(), delivered ? now.ToUnixTimeMilliseconds() : null, error, d.Seq);
            await sql.ExecuteAsync(delivered
                    ? "UPDATE fhir_subscriptions SET last_status = 'delivered', last_error = NULL, last_attempt = @p0, delivered = delivered + 1 WHERE tenant = @p1 AND id = @p2"
                    : "UPDATE fhir_subscriptions SET last_status = 'error', last_error = @p3, last_attempt = @p0, failures = failures + 1 WHERE tenant = @p1 AND id = @p2",
                delivered ? [now.ToString("O"), d.Tenant, d.SubscriptionId] : [now.ToString("O"), d.Tenant, d.SubscriptionId, error]);
            return 0;
        }, ct);
    }

    /// <summary>Drops a delivery whose subscription is gone or off.</summary>
    public async Task DropAsync(PendingDelivery d, CancellationToken ct)
    {
        await using var connection = await store.Hub.Metadata.OpenConnectionAsync(ct);
        await using var sql = new SqlSession(connection, null);
        await sql.ExecuteAsync("UPDATE fhir_deliveries SET status = 'dropped' WHERE seq = @p0", d.Seq);
    }
}
