using System.Security.Cryptography;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Core.Pseudonymization;
using Hygie.Storage.Metadata;

namespace Hygie.Governance.OptOuts;

/// <summary>
/// Citizens' objections. The NIR is validated (15 characters with its key: a typo must not exclude someone else), turned
/// into the hub pseudonym under the hub's linkage key — the same <c>person_id</c> deposits compute — and only that
/// pseudonym is kept. The NIR is never stored, logged, audited or returned. Workspaces built afterwards drop these
/// persons for every project whose legal basis allows objection.
/// </summary>
public sealed class OptOutRegistry(Storage.Hub.Hub hub)
{
    public const string LinkagePurpose = "linkage";
    public const string LinkageOwner = "hub";

    public async Task<OptOutReceipt> AddAsync(Actor actor, string? nir, string? reason, CancellationToken ct = default)
    {
        var compact = new string((nir ?? "").Where(c => c is not (' ' or '.' or '-' or '\t' or '\u00a0')).ToArray());
        var validation = NirValidator.Validate(nir);
        if (!validation.IsValid) await RefuseAsync(actor, validation.Describe());
        if (compact.Length != 15) await RefuseAsync(actor, "an objection needs the full NIR: 13 characters and its 2-digit key");

        var keyId = await hub.Keys.GetOrCreateIdAsync(LinkagePurpose, LinkageOwner, ct);
        string pseudonym;
        using (var pseudonymizer = new Pseudonymizer(await hub.Keys.GetAsync(keyId, ct)))
            pseudonym = pseudonymizer.PersonId(PersonIdentifier.Nir(nir!));

        var receipt = $"obj-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        var now = hub.Clock.GetUtcNow();
        var details = new Dictionary<string, string> { ["receipt"] = receipt };
        var entry = new AuditEntry(actor.Name, "optout.add", "optout", AuditOutcome.Success, reason, details);
        var (existing, _) = await hub.Audit.CommitWithAsync([entry], async (c, tx) =>
        {
            await using (var find = c.Command("SELECT receipt, recorded_at FROM gov_optouts WHERE pseudonym = @p", tx))
            {
                find.AddParameter("p", pseudonym);
                await using var r = await find.ExecuteReaderAsync(ct);
                if (await r.ReadAsync(ct))
                {
                    var found = new OptOutReceipt(r.GetString(0), Time.Parse(r.GetString(1)), AlreadyRecorded: true);
                    details["receipt"] = found.Receipt;
                    details["already"] = "true";
                    return found;
                }
            }
            await using var cmd = c.Command(
                "INSERT INTO gov_optouts (pseudonym, linkage_key_id, receipt, recorded_at, recorded_by) VALUES (@p, @k, @r, @t, @b)", tx);
            cmd.AddParameter("p", pseudonym).AddParameter("k", keyId).AddParameter("r", receipt).AddParameter("t", Time.Format(now)).AddParameter("b", actor.Name);
            await cmd.ExecuteNonQueryAsync(ct);
            return null;
        }, ct);
        return existing ?? new OptOutReceipt(receipt, now, AlreadyRecorded: false);
    }

    /// <summary>The hub pseudonyms of every person who objected, for workspaces whose legal basis allows objection.</summary>
    public async Task<IReadOnlySet<string>> PseudonymsAsync(CancellationToken ct = default)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        await using var c = await hub.Metadata.OpenConnectionAsync(ct);
        await using var cmd = c.Command("SELECT pseudonym FROM gov_optouts");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) set.Add(r.GetString(0));
        return set;
    }

    public async Task<long> CountAsync(CancellationToken ct = default)
    {
        await using var c = await hub.Metadata.OpenConnectionAsync(ct);
        await using var cmd = c.Command("SELECT COUNT(*) FROM gov_optouts");
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
    }

    private async Task RefuseAsync(Actor actor, string rule)
    {
        await hub.Audit.AppendAsync(new AuditEntry(actor.Name, "optout.add", "optout", AuditOutcome.Refused, $"invalid NIR: {rule}",
            new Dictionary<string, string> { ["rule"] = "invalid-nir" }), CancellationToken.None);
        throw new ValidationFailedException($"invalid NIR: {rule}", "nir", "invalid-nir");
    }
}

/// <summary>What the person (or the operator on their behalf) keeps: a receipt, never the pseudonym nor the NIR.</summary>
public sealed record OptOutReceipt(string Receipt, DateTimeOffset Recorded, bool AlreadyRecorded);
