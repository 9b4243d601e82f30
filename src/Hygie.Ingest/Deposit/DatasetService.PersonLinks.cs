using System.Data.Common;
using Hygie.Core.Audit;
using Hygie.Core.Catalog;
using Hygie.Core.Errors;
using Hygie.Core.Pseudonymization;
using Hygie.Storage.Metadata;

namespace Hygie.Ingest.Deposit;

/// <summary>
/// The person links deposits record (<c>ing_person_links</c>: alias pseudonym → person pseudonym, hub pseudonyms only),
/// committed with the deposit that saw them. The first link of an alias stays: a later deposit naming it with another
/// person does not move rows already re-keyed in workspaces.
/// </summary>
public sealed partial class DatasetService : IPersonLinks
{
    public async Task<PersonAliases> LoadAsync(CancellationToken ct = default)
    {
        var links = new PersonAliases();
        await using var c = await hub.Metadata.OpenConnectionAsync(ct);
        await using var cmd = c.Command("SELECT alias, person_id FROM ing_person_links");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) links.Link(r.GetString(0), r.GetString(1));
        return links;
    }

    private static async Task SaveLinksAsync(DbConnection c, DbTransaction tx, PersonAliases links, string depositId, CancellationToken ct)
    {
        // one prepared statement for all the links: an IR_BEN_R deposit links every beneficiary's other identifiers
        await using var cmd = c.Command(
            "INSERT INTO ing_person_links (alias, person_id, deposit_id) VALUES (@a, @p, @d) ON CONFLICT (alias) DO NOTHING", tx);
        cmd.AddParameter("a", "").AddParameter("p", "").AddParameter("d", depositId);
        var (aliasParameter, personParameter) = (cmd.Parameters[0], cmd.Parameters[1]);
        foreach (var (alias, person) in links.Links)
        {
            aliasParameter.Value = alias;
            personParameter.Value = person;
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>
    /// Asks the placement policy whether the hub's own stores may hold the dataset's classification, before a deposit
    /// writes a byte; a refusal is audited and names the rule.
    /// </summary>
    private async Task EnsurePlacementAsync(string actor, string dataset, string classification, string operation, CancellationToken ct)
    {
        try
        {
            await hub.Placement.EnsureHubStoresAllowedAsync(classification, $"{operation} (dataset {dataset}, classification {classification})", ct);
        }
        catch (PolicyViolationException e)
        {
            await hub.Audit.AppendAsync(new AuditEntry(actor, operation == "creating a dataset" ? "dataset.create" : "dataset.deposit", $"dataset:{dataset}",
                AuditOutcome.Refused, e.Message, new Dictionary<string, string> { ["rule"] = "placement-refused" }), CancellationToken.None);
            throw;
        }
    }
}
