using System.Collections.Concurrent;
using System.Globalization;
using System.Xml;
using Hl7.Fhir.Model;
using Hygie.Core.Audit;
using Hygie.Fhir.Rest;
using Hygie.Fhir.Search;
using Hygie.Fhir.Storage;
using Hygie.Storage.Metadata;

namespace Hygie.Fhir.Alerts;

/// <summary>
/// Alert rules of each tenant, and their evaluation: every Observation written is checked inside the writing
/// transaction, and a match writes a <c>DetectedIssue</c> for the patient in that same transaction (so subscriptions on
/// DetectedIssue hear of it). "No reading for a period" rules are checked by <see cref="CheckAbsenceAsync"/>, which a
/// background service calls periodically against the hub clock.
/// </summary>
public sealed class AlertEngine(FhirStore store)
{
    public const string RuleSystem = "http://hygie.health/fhir/CodeSystem/alert-rule";
    public const string AlertTagSystem = "http://hygie.health/fhir/CodeSystem/tags";
    private readonly ConcurrentDictionary<string, IReadOnlyList<AlertRule>> _rules = new(StringComparer.Ordinal);

    public async Task<AlertRule> AddAsync(string tenant, AlertRule rule, string actor, CancellationToken ct = default)
    {
        await store.Tenants.GetAsync(tenant, ct);
        var audit = new AuditEntry(actor, "fhir.alert-rule.create", $"fhir:{tenant}/alert-rule/{rule.Id}",
            Details: new Dictionary<string, string> { ["tenant"] = tenant, ["condition"] = rule.Condition.Type, ["severity"] = rule.Severity });
        await store.Hub.Audit.CommitWithAsync([audit], async (connection, tx) =>
        {
            await using var exists = connection.Command("SELECT 1 FROM fhir_alert_rules WHERE tenant = @t AND id = @id", tx);
            exists.AddParameter("t", tenant).AddParameter("id", rule.Id);
            if (await exists.ExecuteScalarAsync(ct) is not null)
                throw FhirException.Conflict($"tenant {tenant} already has an alert rule '{rule.Id}' (give another id, or delete it first)");
            await using var cmd = connection.Command(
                "INSERT INTO fhir_alert_rules (tenant, id, body, created_at, created_by) VALUES (@t, @id, @b, @c, @by)", tx);
            cmd.AddParameter("t", tenant).AddParameter("id", rule.Id).AddParameter("b", rule.ToJson())
               .AddParameter("c", store.Hub.Clock.GetUtcNow().ToString("O")).AddParameter("by", actor);
            await cmd.ExecuteNonQueryAsync(ct);
            return 0;
        }, ct);
        _rules.TryRemove(tenant, out _);
        return rule;
    }

    public async Task DeleteAsync(string tenant, string id, string actor, CancellationToken ct = default)
    {
        var audit = new AuditEntry(actor, "fhir.alert-rule.delete", $"fhir:{tenant}/alert-rule/{id}", Details: new Dictionary<string, string> { ["tenant"] = tenant });
        await store.Hub.Audit.CommitWithAsync([audit], async (connection, tx) =>
        {
            await using var cmd = connection.Command("DELETE FROM fhir_alert_rules WHERE tenant = @t AND id = @id", tx);
            cmd.AddParameter("t", tenant).AddParameter("id", id);
            if (await cmd.ExecuteNonQueryAsync(ct) == 0) throw FhirException.NotFound($"tenant {tenant} has no alert rule '{id}'");
            await using var state = connection.Command("DELETE FROM fhir_alert_state WHERE tenant = @t AND rule_id = @id", tx);
            state.AddParameter("t", tenant).AddParameter("id", id);
            await state.ExecuteNonQueryAsync(ct);
            return 0;
        }, ct);
        _rules.TryRemove(tenant, out _);
    }

    public async Task<IReadOnlyList<AlertRule>> ListAsync(string tenant, CancellationToken ct = default)
    {
        await store.Tenants.GetAsync(tenant, ct);
        await using var connection = await store.Hub.Metadata.OpenConnectionAsync(ct);
        await using var sql = new SqlSession(connection, null);
        return await RulesAsync(sql, tenant);
    }

    private async Task<IReadOnlyList<AlertRule>> RulesAsync(SqlSession sql, string tenant)
    {
        if (_rules.TryGetValue(tenant, out var cached)) return cached;
        var list = new List<AlertRule>();
        await using (var reader = await sql.ReaderAsync("SELECT body FROM fhir_alert_rules WHERE tenant = @p0 ORDER BY id", tenant))
            while (await reader.ReadAsync())
                list.Add(AlertRule.Parse(System.Text.Encoding.UTF8.GetBytes(reader.GetString(0))));
        return _rules.GetOrAdd(tenant, list);
    }

    /// <summary>Checks one Observation just written against the tenant's rules; writes an alert for each match.</summary>
    public async Task EvaluateAsync(WriteSession s, WrittenVersion written)
    {
        if (written.Resource is not Observation observation || written.Patient is null) return;
        if (observation.Status is ObservationStatus.EnteredInError or ObservationStatus.Cancelled) return;
        var rules = await RulesAsync(s.Sql, s.Context.Tenant.Id);
        if (rules.Count == 0) return;
        var effective = Effective(observation) ?? s.Now.ToUnixTimeMilliseconds();
        foreach (var rule in rules)
        {
            if (rule.Condition.Type == "absent") continue;
            var readings = Readings(observation, rule.Code).ToList();
            if (readings.Count == 0) continue;
            var condition = rule.Condition;
            Quantity? triggering = null;
            if (condition.Type is "above" or "below")
            {
                triggering = readings.OfType<Quantity>().FirstOrDefault(q => Crosses(q, condition));
                if (triggering is null) continue;
            }
            if (condition.Count is { } count)
            {
                var from = effective - (long)condition.Window!.Value.TotalMilliseconds;
                var seen = await CountReadingsAsync(s.Sql, s.Context.Tenant.Id, written.Patient, rule, from, effective);
                if (seen < count) continue;
                if (await LastFiredAsync(s.Sql, s.Context.Tenant.Id, rule.Id, written.Patient) is { } last && last >= from) continue;
                await FireAsync(s, rule, written.Patient, observation.Id,
                    $"{rule.Name}: {seen} readings of {rule.Code.Code} within {XmlConvert.ToString(condition.Window.Value)}" +
                    (triggering is null ? "" : $", the latest {Format(triggering)}"));
            }
            else
            {
                await FireAsync(s, rule, written.Patient, observation.Id, $"{rule.Name}: {Format(triggering!)} is {condition.Type} {Threshold(condition)}");
            }
        }
    }

    /// <summary>
    /// For every "no reading for a period" rule of every tenant: writes an alert for each patient (with at least one
    /// reading of the code) whose last reading is older than the period and who has not been alerted since.
    /// </summary>
    public async Task<int> CheckAbsenceAsync(CancellationToken ct = default)
    {
        var fired = 0;
        foreach (var tenant in await store.Tenants.ListAsync(ct))
        {
            IReadOnlyList<AlertRule> rules;
            await using (var connection = await store.Hub.Metadata.OpenConnectionAsync(ct))
            await using (var sql = new SqlSession(connection, null))
                rules = (await RulesAsync(sql, tenant.Id)).Where(r => r.Condition.Type == "absent").ToList();
            foreach (var rule in rules)
            {
                var now = store.Hub.Clock.GetUtcNow();
                var limit = now.ToUnixTimeMilliseconds() - (long)rule.Condition.Period!.Value.TotalMilliseconds;
                var stale = new List<(string Patient, long Last)>();
                await using (var connection = await store.Hub.Metadata.OpenConnectionAsync(ct))
                await using (var sql = new SqlSession(connection, null))
                {
                    await using (var reader = await sql.ReaderAsync(
                        "SELECT r.patient, MAX(d.lo) FROM fhir_resources r JOIN fhir_ix_date d ON d.rid = r.rid AND d.p = @p0 " +
                        "WHERE r.tenant = @p1 AND r.type = 'Observation' AND r.deleted = 0 AND r.patient IS NOT NULL " +
                        "AND EXISTS (SELECT 1 FROM fhir_ix_token x WHERE x.rid = r.rid AND x.p = @p2 AND x.sys = @p3 AND x.code = @p4) GROUP BY r.patient",
                        "Observation.date", tenant.Id, "Observation.combo-code", rule.Code.System, rule.Code.Code))
                        while (await reader.ReadAsync())
                        {
                            var last = Convert.ToInt64(reader.GetValue(1));
                            if (last < limit) stale.Add((reader.GetString(0), last));
                        }
                    for (var i = stale.Count - 1; i >= 0; i--)
                        if (await LastFiredAsync(sql, tenant.Id, rule.Id, stale[i].Patient) is { } lastFired && lastFired >= stale[i].Last)
                            stale.RemoveAt(i);
                }
                foreach (var (patient, last) in stale)
                {
                    var since = DateTimeOffset.FromUnixTimeMilliseconds(last).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
                    await store.RunSystemWriteAsync(tenant.Id, "hygie-alerts", s =>
                        FireAsync(s, rule, patient, null, $"{rule.Name}: no reading of {rule.Code.Code} since {since}"), ct);
                    fired++;
                }
            }
        }
        return fired;
    }

    private async Task FireAsync(WriteSession s, AlertRule rule, string patient, string? observationId, string detail)
    {
        var issue = new DetectedIssue
        {
            Id = Guid.NewGuid().ToString(),
            Status = ObservationStatus.Final,
            Code = new CodeableConcept(RuleSystem, rule.Id, rule.Name),
            Severity = rule.Severity switch
            {
                "high" => DetectedIssue.DetectedIssueSeverity.High,
                "moderate" => DetectedIssue.DetectedIssueSeverity.Moderate,
                _ => DetectedIssue.DetectedIssueSeverity.Low,
            },
            Patient = new ResourceReference($"Patient/{patient}"),
            Identified = new FhirDateTime(s.Now),
            Detail = detail,
            Meta = new Meta { Tag = [new Coding(AlertTagSystem, "alert", "remote-monitoring alert")] },
        };
        if (observationId is not null) issue.Implicated.Add(new ResourceReference($"Observation/{observationId}"));
        var written = await s.WriteAsync(issue, null, "POST");
        await s.Sql.ExecuteAsync(
            "INSERT INTO fhir_alert_state (tenant, rule_id, patient, last_fired) VALUES (@p0, @p1, @p2, @p3) " +
            "ON CONFLICT (tenant, rule_id, patient) DO UPDATE SET last_fired = excluded.last_fired",
            s.Context.Tenant.Id, rule.Id, patient, s.Now.ToUnixTimeMilliseconds());
        s.Audit.Add(s.Context.Audit("fhir.alert", $"DetectedIssue/{written.Id}", patient, new Dictionary<string, string>
        {
            ["rule"] = rule.Id,
            ["severity"] = rule.Severity,
            ["observation"] = observationId is null ? "" : $"Observation/{observationId}",
        }));
    }

    private static async Task<long?> LastFiredAsync(SqlSession sql, string tenant, string rule, string patient) =>
        await sql.ScalarAsync("SELECT last_fired FROM fhir_alert_state WHERE tenant = @p0 AND rule_id = @p1 AND patient = @p2", tenant, rule, patient) is { } v and not DBNull
            ? Convert.ToInt64(v) : null;

    private static async Task<long> CountReadingsAsync(SqlSession sql, string tenant, string patient, AlertRule rule, long from, long to)
    {
        var condition = rule.Condition;
        var head = "SELECT COUNT(*) FROM fhir_resources r WHERE r.tenant = @p0 AND r.type = 'Observation' AND r.deleted = 0 AND r.patient = @p1 " +
                   "AND EXISTS (SELECT 1 FROM fhir_ix_date d WHERE d.rid = r.rid AND d.p = 'Observation.date' AND d.lo >= @p2 AND d.lo <= @p3) ";
        if (condition.Type == "count")
            return Convert.ToInt64(await sql.ScalarAsync(head +
                "AND EXISTS (SELECT 1 FROM fhir_ix_token x WHERE x.rid = r.rid AND x.p = 'Observation.combo-code' AND x.sys = @p4 AND x.code = @p5)",
                tenant, patient, from, to, rule.Code.System, rule.Code.Code));
        var op = condition.Type == "above" ? ">" : "<";
        var unit = condition.Unit is null ? "" : " AND x.code2 = @p7";
        object?[] args = condition.Unit is null
            ? [tenant, patient, from, to, rule.Code.System, rule.Code.Code, (double)condition.Threshold!.Value]
            : [tenant, patient, from, to, rule.Code.System, rule.Code.Code, (double)condition.Threshold!.Value, condition.Unit];
        return Convert.ToInt64(await sql.ScalarAsync(head +
            $"AND EXISTS (SELECT 1 FROM fhir_ix_composite x WHERE x.rid = r.rid AND x.p = 'Observation.combo-code-value-quantity' AND x.sys1 = @p4 AND x.code1 = @p5 AND x.num {op} @p6{unit})",
            args));
    }

    private static IEnumerable<DataType?> Readings(Observation observation, AlertCode code)
    {
        if (observation.Code?.Coding.Any(c => c.System == code.System && c.Code == code.Code) == true) yield return observation.Value;
        foreach (var component in observation.Component)
            if (component.Code?.Coding.Any(c => c.System == code.System && c.Code == code.Code) == true) yield return component.Value;
    }

    private static bool Crosses(Quantity q, AlertCondition condition)
    {
        if (q.Value is not { } value) return false;
        if (condition.Unit is not null && q.Code != condition.Unit && q.Unit != condition.Unit) return false;
        return condition.Type == "above" ? value > condition.Threshold : value < condition.Threshold;
    }

    private static long? Effective(Observation o) => o.Effective switch
    {
        FhirDateTime dt when DateRange.TryParse(dt.Value, out var r) => r.Low,
        Period p when DateRange.TryParse(p.Start, out var r) => r.Low,
        Instant { Value: { } i } => i.ToUnixTimeMilliseconds(),
        _ => o.Issued?.ToUnixTimeMilliseconds(),
    };

    private static string Format(Quantity q) => $"{q.Value?.ToString(CultureInfo.InvariantCulture)} {q.Unit ?? q.Code}".TrimEnd();

    private static string Threshold(AlertCondition c) => $"{c.Threshold?.ToString(CultureInfo.InvariantCulture)}{(c.Unit is null ? "" : " " + c.Unit)}";
}
