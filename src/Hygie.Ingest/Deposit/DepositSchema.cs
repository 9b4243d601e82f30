using Hygie.Storage.Metadata;

namespace Hygie.Ingest.Deposit;

/// <summary>The deposit module's metadata: datasets, their tables and columns, deposits and the manifest of parts.</summary>
public static class DepositSchema
{
    public static readonly IReadOnlyList<Migration> Migrations =
    [
        new("ingest.datasets", 1, "datasets, tables, columns, deposits, parts",
            """
            CREATE TABLE ing_datasets (
                name TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                classification TEXT NOT NULL,
                description TEXT,
                coverage_start TEXT,
                coverage_end TEXT,
                data_key TEXT NOT NULL,
                created_at TEXT NOT NULL,
                created_by TEXT NOT NULL
            );
            CREATE TABLE ing_tables (
                dataset TEXT NOT NULL,
                name TEXT NOT NULL,
                description TEXT,
                rows_count {bigint} NOT NULL,
                persons {bigint} NOT NULL,
                PRIMARY KEY (dataset, name)
            );
            CREATE TABLE ing_columns (
                dataset TEXT NOT NULL,
                table_name TEXT NOT NULL,
                ordinal INTEGER NOT NULL,
                name TEXT NOT NULL,
                type TEXT NOT NULL,
                description TEXT,
                is_person INTEGER NOT NULL,
                is_date INTEGER NOT NULL,
                PRIMARY KEY (dataset, table_name, name)
            );
            CREATE TABLE ing_deposits (
                id TEXT PRIMARY KEY,
                dataset TEXT NOT NULL,
                table_name TEXT NOT NULL,
                producer TEXT NOT NULL,
                started_at TEXT NOT NULL,
                finished_at TEXT NOT NULL,
                status TEXT NOT NULL,
                rows_read {bigint} NOT NULL,
                rows_stored {bigint} NOT NULL,
                rows_rejected {bigint} NOT NULL,
                persons {bigint} NOT NULL,
                quarantine_object TEXT,
                report TEXT
            );
            CREATE TABLE ing_parts (
                seq {autoid},
                object_id TEXT NOT NULL UNIQUE,
                dataset TEXT NOT NULL,
                table_name TEXT NOT NULL,
                deposit_id TEXT NOT NULL,
                rows_count {bigint} NOT NULL,
                persons {bigint} NOT NULL,
                seal_digest TEXT NOT NULL
            );
            CREATE INDEX ing_parts_table ON ing_parts (dataset, table_name, seq);
            """),
        new("ingest.datasets", 2, "a dataset's own de-identification profile (null: the hub's default for its kind)",
            "ALTER TABLE ing_datasets ADD COLUMN profile TEXT;"),
        new("ingest.datasets", 3, "links between the hub pseudonyms of one person's identifiers (pseudonyms only)",
            """
            CREATE TABLE ing_person_links (
                alias TEXT PRIMARY KEY,
                person_id TEXT NOT NULL,
                deposit_id TEXT NOT NULL
            );
            """),
        new("ingest.datasets", 4, "resource key columns (FHIR ids and references), re-keyed per project in workspaces",
            """
            ALTER TABLE ing_columns ADD COLUMN is_key INTEGER NOT NULL DEFAULT 0;
            UPDATE ing_columns SET is_key = 1
            WHERE (name = 'id' OR name = 'encounter_id') AND dataset IN (SELECT name FROM ing_datasets WHERE kind = 'fhir');
            """),
        new("ingest.datasets", 5, "each part's persons object (its persons in the order of its person_index column; null for older parts)",
            "ALTER TABLE ing_parts ADD COLUMN persons_object TEXT;"),
    ];
}
