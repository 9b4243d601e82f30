using Hygie.Storage.Metadata;

namespace Hygie.Fhir;

/// <summary>
/// The FHIR store's tables (portable SQL: SQLite and PostgreSQL).
/// <list type="bullet">
/// <item><c>fhir_resources</c>: one row per resource (tenant, type, id) — its current version, deleted flag, time and
/// patient compartment; <c>rid</c> is the surrogate key the indexes point to.</item>
/// <item><c>fhir_versions</c>: every version's JSON, sealed in the row under the tenant's key (see <c>ResourceSealer</c>).</item>
/// <item><c>fhir_ix_*</c>: search index rows of the current version, by parameter (<c>p</c> = <c>Type.name</c>). Names,
/// identifiers, telecoms and addresses are stored as keyed hashes, never in clear.</item>
/// <item>tenants, alert rules and state, subscriptions (delivery routing), deliveries (outbox), export jobs.</item>
/// </list>
/// </summary>
public static class FhirSchema
{
    public static readonly Migration V1 = new("fhir", 1, "FHIR store: tenants, resources, versions, search indexes, alerts, subscriptions, exports",
        """
        CREATE TABLE fhir_tenants (
            id TEXT PRIMARY KEY,
            data_key_id TEXT NOT NULL,
            index_key_id TEXT NOT NULL,
            name_search INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        );
        CREATE TABLE fhir_resources (
            rid {autoid},
            tenant TEXT NOT NULL,
            type TEXT NOT NULL,
            id TEXT NOT NULL,
            version INTEGER NOT NULL,
            deleted INTEGER NOT NULL,
            last_updated {bigint} NOT NULL,
            patient TEXT
        );
        CREATE UNIQUE INDEX ux_fhir_resources ON fhir_resources (tenant, type, id);
        CREATE INDEX ix_fhir_resources_updated ON fhir_resources (tenant, type, deleted, last_updated);
        CREATE INDEX ix_fhir_resources_patient ON fhir_resources (tenant, patient);
        CREATE TABLE fhir_versions (
            rid {bigint} NOT NULL,
            version INTEGER NOT NULL,
            tenant TEXT NOT NULL,
            type TEXT NOT NULL,
            last_updated {bigint} NOT NULL,
            method TEXT NOT NULL,
            body {blob},
            PRIMARY KEY (rid, version)
        );
        CREATE INDEX ix_fhir_versions_time ON fhir_versions (tenant, last_updated);
        CREATE TABLE fhir_ix_token (rid {bigint} NOT NULL, p TEXT NOT NULL, sys TEXT, code TEXT);
        CREATE INDEX ix_fhir_ix_token ON fhir_ix_token (p, code, sys);
        CREATE INDEX ix_fhir_ix_token_rid ON fhir_ix_token (rid);
        CREATE TABLE fhir_ix_string (rid {bigint} NOT NULL, p TEXT NOT NULL, v TEXT NOT NULL, ex TEXT);
        CREATE INDEX ix_fhir_ix_string ON fhir_ix_string (p, v);
        CREATE INDEX ix_fhir_ix_string_rid ON fhir_ix_string (rid);
        CREATE TABLE fhir_ix_date (rid {bigint} NOT NULL, p TEXT NOT NULL, lo {bigint} NOT NULL, hi {bigint} NOT NULL);
        CREATE INDEX ix_fhir_ix_date ON fhir_ix_date (p, lo);
        CREATE INDEX ix_fhir_ix_date_rid ON fhir_ix_date (rid);
        CREATE TABLE fhir_ix_number (rid {bigint} NOT NULL, p TEXT NOT NULL, v DOUBLE PRECISION NOT NULL, sys TEXT, code TEXT);
        CREATE INDEX ix_fhir_ix_number ON fhir_ix_number (p, v);
        CREATE INDEX ix_fhir_ix_number_rid ON fhir_ix_number (rid);
        CREATE TABLE fhir_ix_ref (rid {bigint} NOT NULL, p TEXT NOT NULL, ttype TEXT, tid TEXT, url TEXT);
        CREATE INDEX ix_fhir_ix_ref ON fhir_ix_ref (p, tid, ttype);
        CREATE INDEX ix_fhir_ix_ref_rid ON fhir_ix_ref (rid);
        CREATE TABLE fhir_ix_composite (
            rid {bigint} NOT NULL, p TEXT NOT NULL, sys1 TEXT, code1 TEXT,
            num DOUBLE PRECISION, sys2 TEXT, code2 TEXT, lo {bigint}, hi {bigint}, str TEXT
        );
        CREATE INDEX ix_fhir_ix_composite ON fhir_ix_composite (p, code1, sys1);
        CREATE INDEX ix_fhir_ix_composite_rid ON fhir_ix_composite (rid);
        CREATE TABLE fhir_alert_rules (
            tenant TEXT NOT NULL,
            id TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            PRIMARY KEY (tenant, id)
        );
        CREATE TABLE fhir_alert_state (
            tenant TEXT NOT NULL,
            rule_id TEXT NOT NULL,
            patient TEXT NOT NULL,
            last_fired {bigint} NOT NULL,
            PRIMARY KEY (tenant, rule_id, patient)
        );
        CREATE TABLE fhir_subscriptions (
            tenant TEXT NOT NULL,
            id TEXT NOT NULL,
            criteria TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            payload TEXT,
            headers TEXT,
            secret {blob} NOT NULL,
            active INTEGER NOT NULL,
            last_status TEXT,
            last_error TEXT,
            last_attempt TEXT,
            delivered {bigint} NOT NULL,
            failures {bigint} NOT NULL,
            PRIMARY KEY (tenant, id)
        );
        CREATE TABLE fhir_deliveries (
            seq {autoid},
            tenant TEXT NOT NULL,
            subscription_id TEXT NOT NULL,
            type TEXT NOT NULL,
            resource_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            next_attempt {bigint} NOT NULL,
            created_at {bigint} NOT NULL,
            delivered_at {bigint},
            last_error TEXT
        );
        CREATE INDEX ix_fhir_deliveries_due ON fhir_deliveries (status, next_attempt);
        CREATE INDEX ix_fhir_deliveries_sub ON fhir_deliveries (tenant, subscription_id, seq);
        CREATE TABLE fhir_exports (
            id TEXT PRIMARY KEY,
            tenant TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            kind TEXT NOT NULL,
            request TEXT NOT NULL,
            types TEXT,
            since {bigint},
            group_id TEXT,
            status TEXT NOT NULL,
            transaction_time TEXT,
            output TEXT,
            error TEXT,
            created_at TEXT NOT NULL,
            completed_at TEXT
        );
        CREATE INDEX ix_fhir_exports_status ON fhir_exports (status, created_at);
        """);

    public static IReadOnlyList<Migration> Migrations { get; } = [V1];
}
