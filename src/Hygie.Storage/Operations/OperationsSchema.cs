using Hygie.Storage.Metadata;

namespace Hygie.Storage.Operations;

/// <summary>What backups, restores and migrations record in the metadata store.</summary>
public static class OperationsSchema
{
    public static readonly Migration Schema = new("storage.operations", 1, "backups, restores and migrations",
        """
        CREATE TABLE backups (
            id TEXT PRIMARY KEY,
            location TEXT NOT NULL,
            created_at TEXT NOT NULL,
            previous_id TEXT,
            manifest_sha256 TEXT NOT NULL,
            merkle_root TEXT NOT NULL,
            root_key_id TEXT NOT NULL,
            objects {bigint} NOT NULL,
            objects_copied {bigint} NOT NULL,
            bytes_copied {bigint} NOT NULL,
            audit_seq {bigint} NOT NULL
        );
        CREATE TABLE restores (
            id TEXT PRIMARY KEY,
            backup_id TEXT NOT NULL,
            restored_at TEXT NOT NULL,
            manifest TEXT NOT NULL
        );
        CREATE TABLE migrations (
            id TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            objects_to TEXT NOT NULL,
            metadata_to TEXT,
            vault_to TEXT,
            source TEXT NOT NULL,
            target TEXT NOT NULL,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            switched_at TEXT,
            finalized_at TEXT,
            detail TEXT
        );
        CREATE TABLE migration_objects (
            migration_id TEXT NOT NULL,
            object_key TEXT NOT NULL,
            size {bigint} NOT NULL,
            sha256 TEXT NOT NULL,
            verified_at TEXT NOT NULL,
            PRIMARY KEY (migration_id, object_key)
        );
        """);
}
