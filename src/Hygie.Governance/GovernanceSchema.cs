using Hygie.Storage.Metadata;

namespace Hygie.Governance;

/// <summary>
/// Governance's own tables: people, projects with their versioned applications, permits (members and granted columns
/// as rows, so that every access check reads them afresh), and opt-outs (hub pseudonyms only).
/// </summary>
public static class GovernanceSchema
{
    public const string Module = "governance";

    public static readonly IReadOnlyList<Migration> Migrations =
    [
        new(Module, 1, "users, projects, applications, permits, opt-outs",
            """
            CREATE TABLE gov_users (
                name TEXT PRIMARY KEY,
                display_name TEXT,
                organisation TEXT,
                roles TEXT NOT NULL,
                public_consent INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL,
                created_by TEXT NOT NULL
            );
            CREATE TABLE gov_projects (
                id TEXT PRIMARY KEY,
                author TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                key_id TEXT,
                closed_at TEXT,
                closed_by TEXT,
                close_reason TEXT,
                publication_reference TEXT,
                published_at TEXT
            );
            CREATE INDEX ix_gov_projects_status ON gov_projects (status);
            CREATE TABLE gov_applications (
                project_id TEXT NOT NULL REFERENCES gov_projects (id),
                version INTEGER NOT NULL,
                body TEXT NOT NULL,
                status TEXT NOT NULL,
                author TEXT NOT NULL,
                created_at TEXT NOT NULL,
                submitted_at TEXT,
                decided_at TEXT,
                decided_by TEXT,
                decision_reason TEXT,
                PRIMARY KEY (project_id, version)
            );
            CREATE INDEX ix_gov_applications_status ON gov_applications (status);
            CREATE TABLE gov_permits (
                id TEXT PRIMARY KEY,
                project_id TEXT NOT NULL REFERENCES gov_projects (id),
                application_version INTEGER NOT NULL,
                valid_from TEXT NOT NULL,
                valid_to TEXT NOT NULL,
                data_from TEXT NOT NULL,
                data_to TEXT NOT NULL,
                issued_at TEXT NOT NULL,
                issued_by TEXT NOT NULL,
                ended_at TEXT,
                end_kind TEXT,
                ended_by TEXT,
                end_reason TEXT
            );
            CREATE INDEX ix_gov_permits_project ON gov_permits (project_id, issued_at);
            CREATE TABLE gov_permit_members (
                permit_id TEXT NOT NULL REFERENCES gov_permits (id),
                member TEXT NOT NULL,
                PRIMARY KEY (permit_id, member)
            );
            CREATE TABLE gov_permit_columns (
                permit_id TEXT NOT NULL REFERENCES gov_permits (id),
                dataset TEXT NOT NULL,
                table_name TEXT NOT NULL,
                column_name TEXT NOT NULL,
                PRIMARY KEY (permit_id, dataset, table_name, column_name)
            );
            CREATE TABLE gov_optouts (
                pseudonym TEXT PRIMARY KEY,
                linkage_key_id TEXT NOT NULL,
                receipt TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                recorded_by TEXT NOT NULL
            );
            """),
        // The country of an account's organisation: where its accesses come from unless a trusted proxy says otherwise.
        new(Module, 2, "the country of each account's organisation", "ALTER TABLE gov_users ADD COLUMN country TEXT;"),
    ];
}
