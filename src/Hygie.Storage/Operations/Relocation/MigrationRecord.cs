using System.Data.Common;
using System.Text.Json;
using Hygie.Storage.Hub;
using Hygie.Storage.Metadata;

namespace Hygie.Storage.Operations.Relocation;

/// <summary>
/// One migration as the <c>migrations</c> table records it. States:
/// <c>copying</c> → <c>copied</c> → <c>switched</c> → <c>finalized</c>, or <c>aborted</c> before the switch.
/// </summary>
public sealed record MigrationRecord(
    string Id,
    string State,
    string ObjectsTo,
    string? MetadataTo,
    string? VaultTo,
    StoreSet Source,
    StoreSet Target,
    DateTimeOffset StartedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? SwitchedAt,
    DateTimeOffset? FinalizedAt,
    string? Detail)
{
    public const string Copying = "copying";
    public const string Copied = "copied";
    public const string Switched = "switched";
    public const string Finalized = "finalized";
    public const string Aborted = "aborted";

    public bool InProgress => State is Copying or Copied;

    internal const string Columns = "id, state, objects_to, metadata_to, vault_to, source, target, started_at, updated_at, switched_at, finalized_at, detail";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    internal static MigrationRecord Read(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetNullableString(3), r.GetNullableString(4),
        JsonSerializer.Deserialize<StoreSet>(r.GetString(5), Json)!, JsonSerializer.Deserialize<StoreSet>(r.GetString(6), Json)!,
        DateTimeOffset.Parse(r.GetString(7)), DateTimeOffset.Parse(r.GetString(8)),
        r.IsDBNull(9) ? null : DateTimeOffset.Parse(r.GetString(9)), r.IsDBNull(10) ? null : DateTimeOffset.Parse(r.GetString(10)),
        r.GetNullableString(11));

    /// <summary>The newest migration, or the newest in one of <paramref name="states"/>.</summary>
    internal static async Task<MigrationRecord?> LatestAsync(DbConnection connection, DbTransaction? tx, CancellationToken ct, params string[] states)
    {
        var filter = states.Length == 0 ? "" : $" WHERE state IN ({string.Join(", ", states.Select((_, i) => $"@s{i}"))})";
        await using var cmd = connection.Command($"SELECT {Columns} FROM migrations{filter} ORDER BY started_at DESC, id DESC LIMIT 1", tx);
        for (var i = 0; i < states.Length; i++) cmd.AddParameter($"s{i}", states[i]);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    internal static async Task SetStateAsync(DbConnection connection, DbTransaction? tx, string id, string state, DateTimeOffset now, CancellationToken ct, string? detail = null)
    {
        var stamp = state switch { Switched => ", switched_at = @t", Finalized => ", finalized_at = @t", _ => "" };
        await using var cmd = connection.Command($"UPDATE migrations SET state = @s, updated_at = @t{stamp}{(detail is null ? "" : ", detail = @d")} WHERE id = @id", tx);
        cmd.AddParameter("s", state).AddParameter("t", now.ToString("O")).AddParameter("id", id);
        if (detail is not null) cmd.AddParameter("d", detail);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>The hub's three stores, as <c>hub.json</c> names them.</summary>
/// <param name="VaultCreated">the migration created the target keyring (so an abort removes it).</param>
public sealed record StoreSet(StoreConfig Metadata, StoreConfig Objects, StoreConfig Vault, bool VaultCreated = false)
{
    public static StoreSet Of(HubConfig config) => new(config.Metadata, config.Objects, config.Vault);

    public HubConfig ApplyTo(HubConfig config) => config with { Metadata = Metadata, Objects = Objects, Vault = Vault };

    internal string ToJson() => JsonSerializer.Serialize(this, MigrationRecord.Json);
}

/// <summary>How far a migration is.</summary>
public sealed record MigrationStatus(MigrationRecord Record, long ObjectsVerified, long BytesVerified);
