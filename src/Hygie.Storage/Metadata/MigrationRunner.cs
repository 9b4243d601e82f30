using System.Data.Common;
using Hygie.Core.Errors;

namespace Hygie.Storage.Metadata;

/// <summary>Applies each module's missing migrations in order, one transaction per step, and refuses a newer store.</summary>
public static class MigrationRunner
{
    public static async Task ApplyAsync(IMetadataStore store, IEnumerable<Migration> migrations, TimeProvider clock, CancellationToken ct = default)
    {
        await using var connection = await store.OpenConnectionAsync(ct);
        await ExecuteAsync(connection, null,
            "CREATE TABLE IF NOT EXISTS schema_versions (module TEXT PRIMARY KEY, version INTEGER NOT NULL, applied_at TEXT NOT NULL)", ct);

        var current = await ReadVersionsAsync(connection, ct);
        var byModule = migrations.GroupBy(m => m.Module).ToDictionary(g => g.Key, g => g.OrderBy(m => m.Version).ToList());

        // Refuse before changing anything when any module is newer than this build knows.
        foreach (var (module, steps) in byModule)
        {
            var known = steps[^1].Version;
            if (current.TryGetValue(module, out var have) && have > known)
                throw new HubStateException(
                    $"the metadata store's schema for '{module}' is at version {have}, newer than this hygie knows ({known}): upgrade hygie before opening this hub",
                    "schema-too-new");
        }

        foreach (var (module, steps) in byModule)
        {
            var have = current.GetValueOrDefault(module);
            foreach (var step in steps.Where(s => s.Version > have))
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                await ExecuteAsync(connection, tx, store.Dialect.Render(step.Sql), ct);
                await using (var cmd = connection.CreateCommand())
                {
                    cmd.Transaction = tx;
                    cmd.CommandText = "INSERT INTO schema_versions (module, version, applied_at) VALUES (@m, @v, @t) " +
                                      "ON CONFLICT (module) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at";
                    cmd.AddParameter("m", module).AddParameter("v", step.Version).AddParameter("t", clock.GetUtcNow().ToString("O"));
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                await tx.CommitAsync(ct);
                current[module] = step.Version;
            }
        }
    }

    public static async Task<Dictionary<string, int>> ReadVersionsAsync(DbConnection connection, CancellationToken ct)
    {
        var versions = new Dictionary<string, int>();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT module, version FROM schema_versions";
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            versions[reader.GetString(0)] = Convert.ToInt32(reader.GetValue(1));
        return versions;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
