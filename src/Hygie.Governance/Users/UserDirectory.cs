using System.Collections.Concurrent;
using System.Data.Common;
using System.Text.RegularExpressions;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Core.Identity;
using Hygie.Core.Sovereignty;
using Hygie.Storage.Metadata;

namespace Hygie.Governance.Users;

/// <summary>The hub's accounts: a name, the person's organisation, roles, and consent to be named publicly.</summary>
public sealed partial class UserDirectory(Storage.Hub.Hub hub)
{
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{1,63}$")]
    private static partial Regex NamePattern();

    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    public async Task<HubUser> AddAsync(Actor actor, NewUser user, string? reason, CancellationToken ct = default)
    {
        if (!IsValidName(user.Name))
            throw new ValidationFailedException("a user name is 2 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", "name");
        if (user.Roles.Count == 0)
            throw new ValidationFailedException($"give at least one role ({string.Join(", ", Roles.All)})", "roles");
        foreach (var role in user.Roles)
            if (!Roles.IsKnown(role))
                throw new ValidationFailedException($"unknown role '{role}': roles are {string.Join(", ", Roles.All)}", "roles");
        if (user.DisplayName is { Length: > 200 }) throw new ValidationFailedException("the display name is longer than 200 characters", "displayName");
        if (user.Organisation is { Length: > 200 }) throw new ValidationFailedException("the organisation is longer than 200 characters", "organisation");
        string? country = null;
        if (!string.IsNullOrWhiteSpace(user.Country) && (country = Countries.Code(user.Country)) is null)
            throw new ValidationFailedException($"invalid country '{user.Country}': give the organisation's ISO 3166-1 alpha-2 code, such as FR", "country");

        var now = hub.Clock.GetUtcNow();
        var roles = user.Roles.Distinct(StringComparer.Ordinal).ToList();
        var entry = new AuditEntry(actor.Name, "user.add", $"user/{user.Name}", Reason: reason,
            // "organisationCountry", not "country": an audit detail named country records where an access came from.
            Details: new Dictionary<string, string>
            {
                ["roles"] = string.Join(' ', roles), ["publicConsent"] = user.PublicConsent ? "true" : "false", ["organisationCountry"] = country ?? "",
            });
        await hub.Audit.CommitWithAsync([entry], async (c, tx) =>
        {
            if (await FindAsync(c, tx, user.Name, ct) is not null)
                throw new ConflictException($"user {user.Name} already exists", "user-exists");
            await using var cmd = c.Command(
                "INSERT INTO gov_users (name, display_name, organisation, roles, public_consent, created_at, created_by, country) VALUES (@n, @d, @o, @r, @p, @t, @b, @c)", tx);
            cmd.AddParameter("n", user.Name).AddParameter("d", user.DisplayName).AddParameter("o", user.Organisation)
               .AddParameter("r", string.Join(' ', roles)).AddParameter("p", user.PublicConsent ? 1 : 0)
               .AddParameter("t", Time.Format(now)).AddParameter("b", actor.Name).AddParameter("c", country);
            await cmd.ExecuteNonQueryAsync(ct);
            return 0;
        }, ct);
        _countries.TryRemove(user.Name, out _);
        return new HubUser(user.Name, user.DisplayName, user.Organisation, roles, user.PublicConsent, now, actor.Name) { Country = country };
    }

    private static readonly TimeSpan CountryCacheFor = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, (string? Country, DateTimeOffset Until)> _countries = new(StringComparer.Ordinal);

    /// <summary>
    /// The country of the account's organisation, for the audit of every request: kept a minute in memory so a busy
    /// hub does not read <c>gov_users</c> per request. Null for an unknown account or an undeclared country.
    /// </summary>
    public async Task<string?> CountryOfAsync(string name, CancellationToken ct = default)
    {
        var now = hub.Clock.GetUtcNow();
        if (_countries.TryGetValue(name, out var cached) && now < cached.Until) return cached.Country;
        await using var c = await hub.Metadata.OpenConnectionAsync(ct);
        await using var cmd = c.Command("SELECT country FROM gov_users WHERE name = @n");
        cmd.AddParameter("n", name);
        var country = await cmd.ExecuteScalarAsync(ct) as string;
        if (_countries.Count > 10_000) _countries.Clear();
        _countries[name] = (country, now + CountryCacheFor);
        return country;
    }

    public async Task<HubUser?> FindAsync(string name, CancellationToken ct = default)
    {
        await using var c = await hub.Metadata.OpenConnectionAsync(ct);
        return await FindAsync(c, null, name, ct);
    }

    public async Task<HubUser> GetAsync(string name, CancellationToken ct = default) =>
        await FindAsync(name, ct) ?? throw new NotFoundException($"user {name} does not exist", "user-not-found");

    public async Task<IReadOnlyList<HubUser>> ListAsync(CancellationToken ct = default)
    {
        await using var c = await hub.Metadata.OpenConnectionAsync(ct);
        await using var cmd = c.Command($"{Select} ORDER BY name");
        return await ReadAllAsync(cmd, ct);
    }

    /// <summary>Several users by name (unknown names are simply absent from the result).</summary>
    public async Task<IReadOnlyDictionary<string, HubUser>> FindManyAsync(IEnumerable<string> names, CancellationToken ct = default)
    {
        var wanted = names.Distinct(StringComparer.Ordinal).ToList();
        if (wanted.Count == 0) return new Dictionary<string, HubUser>();
        var all = await ListAsync(ct);
        return all.Where(u => wanted.Contains(u.Name, StringComparer.Ordinal)).ToDictionary(u => u.Name, StringComparer.Ordinal);
    }

    private const string Select = "SELECT name, display_name, organisation, roles, public_consent, created_at, created_by, country FROM gov_users";

    internal static async Task<HubUser?> FindAsync(DbConnection c, DbTransaction? tx, string name, CancellationToken ct)
    {
        await using var cmd = c.Command($"{Select} WHERE name = @n", tx);
        cmd.AddParameter("n", name);
        var list = await ReadAllAsync(cmd, ct);
        return list.Count == 0 ? null : list[0];
    }

    private static async Task<IReadOnlyList<HubUser>> ReadAllAsync(DbCommand cmd, CancellationToken ct)
    {
        var list = new List<HubUser>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new HubUser(r.GetString(0), r.GetNullableString(1), r.GetNullableString(2),
                r.GetString(3).Split(' ', StringSplitOptions.RemoveEmptyEntries), r.GetInt64Value(4) != 0,
                Time.Parse(r.GetString(5)), r.GetString(6)) { Country = r.GetNullableString(7) });
        return list;
    }
}
