using System.Security.Cryptography;
using System.Text;
using Hygie.Core.Errors;
using Hygie.Storage.Metadata;

namespace Hygie.Storage.Identity;

/// <summary>
/// API tokens: shown once when issued, stored as SHA-256 hashes only. A token is <c>hyg_&lt;id&gt;_&lt;secret&gt;</c>;
/// the id finds the row, the hash of the whole token is compared in constant time.
/// </summary>
public sealed class AccessTokenStore(IMetadataStore store, TimeProvider clock)
{
    public static readonly Migration Schema = new("storage.tokens", 1, "access tokens",
        """
        CREATE TABLE access_tokens (
            id TEXT PRIMARY KEY,
            token_hash TEXT NOT NULL,
            subject TEXT NOT NULL,
            roles TEXT NOT NULL,
            tenant TEXT,
            scopes TEXT,
            description TEXT,
            created_at TEXT NOT NULL,
            expires_at TEXT,
            revoked_at TEXT
        );
        CREATE INDEX ix_tokens_subject ON access_tokens (subject);
        """);

    private const string Prefix = "hyg_";

    public async Task<IssuedToken> IssueAsync(string subject, IReadOnlyList<string> roles, DateTimeOffset? expires = null,
        string? tenant = null, IReadOnlyList<string>? scopes = null, string? description = null, CancellationToken ct = default)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var token = $"{Prefix}{id}_{secret}";
        var now = clock.GetUtcNow();
        if (expires is not null && expires <= now)
            throw new ValidationFailedException("a token's expiry must be in the future", "expires");
        await using var connection = await store.OpenConnectionAsync(ct);
        await using var cmd = connection.Command(
            "INSERT INTO access_tokens (id, token_hash, subject, roles, tenant, scopes, description, created_at, expires_at) " +
            "VALUES (@id, @h, @s, @r, @t, @sc, @d, @c, @e)");
        cmd.AddParameter("id", id).AddParameter("h", Hash(token)).AddParameter("s", subject).AddParameter("r", string.Join(' ', roles))
           .AddParameter("t", tenant).AddParameter("sc", scopes is null ? null : string.Join(' ', scopes)).AddParameter("d", description)
           .AddParameter("c", now.ToString("O")).AddParameter("e", expires?.ToString("O"));
        await cmd.ExecuteNonQueryAsync(ct);
        return new IssuedToken(new AccessToken(id, subject, roles, tenant, scopes ?? [], description, now, expires, null), token);
    }

    /// <summary>The token's grant if it is well formed, known, unexpired and unrevoked; otherwise null (the caller says 401, nothing more).</summary>
    public async Task<AccessToken?> ValidateAsync(string presented, CancellationToken ct = default)
    {
        if (!presented.StartsWith(Prefix, StringComparison.Ordinal) || presented.Length > 200) return null;
        var parts = presented[Prefix.Length..].Split('_', 2);
        if (parts.Length != 2 || parts[0].Length != 12) return null;
        var token = await FindAsync(parts[0], withHash: true, ct);
        if (token is null) return null;
        var expected = Convert.FromHexString(token.Value.Hash);
        var actual = Convert.FromHexString(Hash(presented));
        if (!CryptographicOperations.FixedTimeEquals(expected, actual)) return null;
        var now = clock.GetUtcNow();
        if (token.Value.Token.Revoked is not null || (token.Value.Token.Expires is { } e && e <= now)) return null;
        return token.Value.Token;
    }

    public async Task<AccessToken> GetAsync(string id, CancellationToken ct = default) =>
        (await FindAsync(id, withHash: false, ct))?.Token ?? throw new NotFoundException($"token {id} does not exist", "token-not-found");

    public async Task RevokeAsync(string id, CancellationToken ct = default)
    {
        await using var connection = await store.OpenConnectionAsync(ct);
        await using var cmd = connection.Command("UPDATE access_tokens SET revoked_at = @t WHERE id = @id AND revoked_at IS NULL");
        cmd.AddParameter("t", clock.GetUtcNow().ToString("O")).AddParameter("id", id);
        if (await cmd.ExecuteNonQueryAsync(ct) == 0)
            throw new NotFoundException($"token {id} does not exist or is already revoked", "token-not-found");
    }

    public async Task<IReadOnlyList<AccessToken>> ListAsync(string? subject = null, CancellationToken ct = default)
    {
        await using var connection = await store.OpenConnectionAsync(ct);
        await using var cmd = connection.Command(
            "SELECT id, subject, roles, tenant, scopes, description, created_at, expires_at, revoked_at, token_hash FROM access_tokens" +
            (subject is null ? "" : " WHERE subject = @s") + " ORDER BY created_at");
        if (subject is not null) cmd.AddParameter("s", subject);
        var list = new List<AccessToken>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(Read(reader).Token);
        return list;
    }

    private async Task<(AccessToken Token, string Hash)?> FindAsync(string id, bool withHash, CancellationToken ct)
    {
        await using var connection = await store.OpenConnectionAsync(ct);
        await using var cmd = connection.Command(
            "SELECT id, subject, roles, tenant, scopes, description, created_at, expires_at, revoked_at, token_hash FROM access_tokens WHERE id = @id");
        cmd.AddParameter("id", id);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    private static (AccessToken Token, string Hash) Read(System.Data.Common.DbDataReader r)
    {
        static DateTimeOffset? Time(string? s) => s is null ? null : DateTimeOffset.Parse(s);
        var token = new AccessToken(r.GetString(0), r.GetString(1), r.GetString(2).Split(' ', StringSplitOptions.RemoveEmptyEntries),
            r.GetNullableString(3), r.GetNullableString(4)?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [], r.GetNullableString(5),
            DateTimeOffset.Parse(r.GetString(6)), Time(r.GetNullableString(7)), Time(r.GetNullableString(8)));
        return (token, r.GetString(9));
    }

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

public sealed record AccessToken(
    string Id, string Subject, IReadOnlyList<string> Roles, string? Tenant, IReadOnlyList<string> Scopes, string? Description,
    DateTimeOffset Created, DateTimeOffset? Expires, DateTimeOffset? Revoked);

/// <summary>A token just issued: <see cref="Secret"/> is shown once and never stored.</summary>
public sealed record IssuedToken(AccessToken Token, string Secret);
