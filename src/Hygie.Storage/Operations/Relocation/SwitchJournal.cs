using System.Text.Json;
using System.Text.Json.Nodes;
using Hygie.Core.Errors;
using Hygie.Storage.Hub;
using Hygie.Storage.Metadata;
using Hygie.Storage.Objects;

namespace Hygie.Storage.Operations.Relocation;

/// <summary>
/// <c>hub.json.switch</c>: the new <c>hub.json</c> a migration's switch has prepared, written before the switch commits
/// in the old metadata store and renamed over <c>hub.json</c> right after. If the process dies in between, the next
/// open of the hub finishes the job from what the old store says: the switch committed → the new stores are used;
/// it did not → the journal is dropped and the hub stays on the old stores. Never half-switched.
/// </summary>
public static class SwitchJournal
{
    public const string FileName = HubConfig.FileName + ".switch";

    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    internal static void Write(string dataDirectory, string migrationId, HubConfig next)
    {
        var body = new JsonObject { ["migration"] = migrationId, ["config"] = JsonNode.Parse(next.ToJson()) };
        HubConfig.WriteDurably(PathIn(dataDirectory), body.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Makes the prepared <c>hub.json</c> the hub's (the switch has committed).</summary>
    internal static void Apply(string dataDirectory)
    {
        var journal = PathIn(dataDirectory);
        var body = JsonNode.Parse(File.ReadAllText(journal))!.AsObject();
        HubConfig.WriteDurably(Path.Combine(dataDirectory, HubConfig.FileName), body["config"]!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Delete(journal);
        DirectorySync.Flush(dataDirectory);
    }

    /// <summary>
    /// Completes or drops an interrupted switch; does nothing when there is none (the usual case). Returns the
    /// migration whose switch it completed, if any.
    /// </summary>
    public static async Task<string?> RecoverAsync(string dataDirectory, CancellationToken ct = default)
    {
        var journal = PathIn(dataDirectory);
        if (!File.Exists(journal)) return null;
        using var hubLock = HubLock.TryAcquire(dataDirectory, "switch recovery")
                            ?? throw new HubStateException($"a migration is switching the stores of the hub at {dataDirectory} ({HubLock.Holder(dataDirectory)}): retry when it is done", "hub-switching");
        if (!File.Exists(journal)) return null;

        string migrationId;
        try { migrationId = (string)JsonNode.Parse(File.ReadAllText(journal))!["migration"]!; }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
        {
            // A journal that was never completely written: its switch cannot have committed.
            File.Delete(journal);
            return null;
        }

        var current = HubConfig.Load(dataDirectory);
        string? state = null;
        await using (var metadata = StoreFactory.OpenMetadata(dataDirectory, current.Metadata))
        {
            await using var connection = await metadata.OpenConnectionAsync(ct);
            try
            {
                await using var cmd = connection.Command("SELECT state FROM migrations WHERE id = @id");
                cmd.AddParameter("id", migrationId);
                state = await cmd.ExecuteScalarAsync(ct) as string;
            }
            catch (System.Data.Common.DbException) { } // no migrations table: no switch ever committed here
        }
        if (state is MigrationRecord.Switched or MigrationRecord.Finalized)
        {
            Apply(dataDirectory);
            return migrationId;
        }
        File.Delete(journal);
        return null;
    }
}
