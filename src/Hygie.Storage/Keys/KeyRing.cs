using System.Collections.Concurrent;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Hygie.Core.Errors;
using Hygie.Storage.Metadata;

namespace Hygie.Storage.Keys;

/// <summary>
/// The keys below the root: one per dataset, project, tenant or purpose (linkage), each stored wrapped by the vault's
/// root key in the metadata store. Destroying a key deletes its wrapped material, which makes everything sealed under it
/// unreadable (crypto-shredding).
/// </summary>
public sealed class KeyRing(IMetadataStore store, IKeyVault vault, TimeProvider clock)
{
    public static readonly Migration Schema = new("storage.keys", 1, "wrapped keys",
        """
        CREATE TABLE keys (
            id TEXT PRIMARY KEY,
            purpose TEXT NOT NULL,
            owner TEXT NOT NULL,
            root_key_id TEXT NOT NULL,
            wrapped {blob},
            created_at TEXT NOT NULL,
            destroyed_at TEXT,
            destroyed_reason TEXT
        );
        CREATE INDEX ix_keys_owner ON keys (purpose, owner);
        """);

    private readonly ConcurrentDictionary<string, byte[]> _cache = new();

    public IKeyVault Vault => vault;

    /// <summary>Creates a random 256-bit key wrapped by the current root key; inside <paramref name="tx"/> when given.</summary>
    public async Task<string> CreateAsync(string purpose, string owner, DbConnection? connection = null, DbTransaction? tx = null, CancellationToken ct = default)
    {
        var id = $"{purpose}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        var key = RandomNumberGenerator.GetBytes(32);
        var rootId = vault.RootKeyId;
        var wrapped = vault.WrapKey(key, Context(id), rootId);
        var own = connection is null;
        connection ??= await store.OpenConnectionAsync(ct);
        try
        {
            await using var cmd = connection.Command(
                "INSERT INTO keys (id, purpose, owner, root_key_id, wrapped, created_at) VALUES (@id, @p, @o, @r, @w, @t)", tx);
            cmd.AddParameter("id", id).AddParameter("p", purpose).AddParameter("o", owner).AddParameter("r", rootId)
               .AddParameter("w", wrapped).AddParameter("t", clock.GetUtcNow().ToString("O"));
            await cmd.ExecuteNonQueryAsync(ct);
        }
        finally
        {
            if (own) await connection.DisposeAsync();
        }
        _cache[id] = key;
        return id;
    }

    /// <summary>
    /// The key in clear, in memory only; refused once destroyed. The caller gets its own copy, which it may (and should)
    /// zero when done: the cached key stays intact for the next caller.
    /// </summary>
    public async Task<byte[]> GetAsync(string id, CancellationToken ct = default)
    {
        if (_cache.TryGetValue(id, out var cached)) return (byte[])cached.Clone();
        await using var connection = await store.OpenConnectionAsync(ct);
        await using var cmd = connection.Command("SELECT root_key_id, wrapped, destroyed_at FROM keys WHERE id = @id");
        cmd.AddParameter("id", id);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            throw new IntegrityException($"key {id} is not known to this hub", "unknown-key");
        if (!reader.IsDBNull(2))
            throw new KeyDestroyedException(id, reader.GetString(2));
        var key = vault.UnwrapKey((byte[])reader.GetValue(1), Context(id), reader.GetString(0));
        return (byte[])_cache.GetOrAdd(id, key).Clone();
    }

    /// <summary>The live key of a purpose and owner (e.g. the linkage key of the hub), created on first use.</summary>
    public async Task<string> GetOrCreateIdAsync(string purpose, string owner, CancellationToken ct = default)
    {
        var existing = await FindIdAsync(purpose, owner, ct);
        return existing ?? await CreateAsync(purpose, owner, ct: ct);
    }

    public async Task<string?> FindIdAsync(string purpose, string owner, CancellationToken ct = default)
    {
        await using var connection = await store.OpenConnectionAsync(ct);
        await using var cmd = connection.Command(
            "SELECT id FROM keys WHERE purpose = @p AND owner = @o AND destroyed_at IS NULL ORDER BY created_at LIMIT 1");
        cmd.AddParameter("p", purpose).AddParameter("o", owner);
        return await cmd.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>Deletes the wrapped key material: whatever was sealed under this key can never be read again.</summary>
    public async Task DestroyAsync(string id, string reason, DbConnection? connection = null, DbTransaction? tx = null, CancellationToken ct = default)
    {
        var own = connection is null;
        connection ??= await store.OpenConnectionAsync(ct);
        try
        {
            await using var cmd = connection.Command(
                "UPDATE keys SET wrapped = NULL, destroyed_at = @t, destroyed_reason = @r WHERE id = @id AND destroyed_at IS NULL", tx);
            cmd.AddParameter("id", id).AddParameter("t", clock.GetUtcNow().ToString("O")).AddParameter("r", reason);
            if (await cmd.ExecuteNonQueryAsync(ct) == 0)
                throw new NotFoundException($"key {id} does not exist or is already destroyed", "key-not-found");
        }
        finally
        {
            if (own) await connection.DisposeAsync();
        }
        if (_cache.TryRemove(id, out var key)) CryptographicOperations.ZeroMemory(key);
    }

    public async Task<IReadOnlyList<DataKeyInfo>> ListAsync(CancellationToken ct = default)
    {
        var list = new List<DataKeyInfo>();
        await using var connection = await store.OpenConnectionAsync(ct);
        await using var cmd = connection.Command("SELECT id, purpose, owner, root_key_id, created_at, destroyed_at FROM keys ORDER BY created_at, id");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add(new DataKeyInfo(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                DateTimeOffset.Parse(reader.GetString(4)), reader.IsDBNull(5) ? null : DateTimeOffset.Parse(reader.GetString(5))));
        return list;
    }

    /// <summary>Re-wraps every live key under the vault's current root key (after rotation); no data is rewritten.</summary>
    public async Task<int> RewrapAllAsync(CancellationToken ct = default)
    {
        var target = vault.RootKeyId;
        await using var connection = await store.OpenConnectionAsync(ct);
        var pending = new List<(string Id, string Root, byte[] Wrapped)>();
        await using (var cmd = connection.Command("SELECT id, root_key_id, wrapped FROM keys WHERE destroyed_at IS NULL AND root_key_id <> @r"))
        {
            cmd.AddParameter("r", target);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) pending.Add((reader.GetString(0), reader.GetString(1), (byte[])reader.GetValue(2)));
        }
        await using var tx = await connection.BeginTransactionAsync(ct);
        foreach (var (id, root, wrapped) in pending)
        {
            var key = vault.UnwrapKey(wrapped, Context(id), root);
            await using var cmd = connection.Command("UPDATE keys SET wrapped = @w, root_key_id = @r WHERE id = @id", tx);
            cmd.AddParameter("w", vault.WrapKey(key, Context(id), target)).AddParameter("r", target).AddParameter("id", id);
            await cmd.ExecuteNonQueryAsync(ct);
            CryptographicOperations.ZeroMemory(key);
        }
        await tx.CommitAsync(ct);
        return pending.Count;
    }

    private static byte[] Context(string id) => Encoding.UTF8.GetBytes("hygie-key:" + id);

    /// <summary>What a data key's wrapping is bound to (its id): re-wrapping under another vault uses the same context.</summary>
    public static byte[] WrapContext(string id) => Context(id);
}

public sealed record DataKeyInfo(string Id, string Purpose, string Owner, string RootKeyId, DateTimeOffset Created, DateTimeOffset? Destroyed);

public sealed class KeyDestroyedException(string keyId, string when)
    : IntegrityException($"key {keyId} was destroyed on {when}: the data sealed under it can no longer be read", "key-destroyed")
{
    public override int Status => 410;
}
