using System.Globalization;
using Hl7.Fhir.Model;
using Hygie.Core.Audit;
using Hygie.Core.Catalog;
using Hygie.Core.Deidentification;
using Hygie.Core.Errors;
using Hygie.Ingest.Fhir;
using Hygie.Storage.Metadata;

namespace Hygie.Ingest.Deposit;

/// <summary>FHIR deposits: Bundles and NDJSON uploaded by a producer, or a FHIR store's export (see <see cref="FhirDeposit"/>).</summary>
public sealed partial class DatasetService
{
    /// <summary>The tables FHIR deposits flatten resources into.</summary>
    public IReadOnlyList<FhirView> FhirViews { get; init; } = FhirView.BuiltIn;

    /// <summary>
    /// Deposits FHIR R4 files — Bundles (transaction, batch, collection) and NDJSON of resources — into a dataset of kind
    /// <c>fhir</c>: all files or nothing. Patients without a national or SNDS identifier get a person under
    /// <c>producer:{actor}</c>, so that the same producer's later deposits link to them.
    /// </summary>
    public Task<FhirDepositReport> DepositFhirAsync(string actor, string dataset, IAsyncEnumerable<DepositFile> files, CancellationToken ct = default) =>
        DepositFhirAsync(actor, dataset, $"producer:{actor}", async (deposit, token) =>
        {
            var any = false;
            await foreach (var file in files.WithCancellation(token))
            {
                any = true;
                await deposit.AddFileAsync(Path.GetFileName(file.Name), file.Content, token);
            }
            if (!any) throw new ValidationFailedException("the deposit holds no file", "file", "empty-file");
        }, ct);

    /// <summary>
    /// Deposits resources of a FHIR store's tenant (its bulk export) into a dataset of kind <c>fhir</c>, pseudonymized on
    /// the way as any deposit; patients without national or SNDS identifier get a person under <c>tenant:{tenant}</c>.
    /// </summary>
    public Task<FhirDepositReport> DepositFhirResourcesAsync(string actor, string dataset, string tenant, IAsyncEnumerable<Resource> resources,
        CancellationToken ct = default) =>
        DepositFhirAsync(actor, dataset, $"tenant:{tenant}", (deposit, token) => deposit.AddResourcesAsync($"export of tenant {tenant}", resources, token), ct);

    private async Task<FhirDepositReport> DepositFhirAsync(string actor, string dataset, string scope, Func<FhirDeposit, CancellationToken, System.Threading.Tasks.Task> feed,
        CancellationToken ct)
    {
        var row = await RowAsync(dataset, ct) ?? throw new NotFoundException($"no dataset {dataset}", "unknown-dataset");
        if (row.Description.Kind != "fhir")
            throw new ValidationFailedException($"dataset {dataset} is {row.Description.Kind}: FHIR resources go to a fhir dataset", "dataset", "wrong-kind");
        await EnsurePlacementAsync(actor, dataset, row.Description.Classification, "depositing", ct);
        var depositId = NewDepositId();
        await SweepOnceAsync(dataset, ct);
        _running[depositId] = 0;
        var started = hub.Clock.GetUtcNow();
        FhirDeposit? deposit = null;
        try
        {
            var linkageId = await hub.Keys.GetOrCreateIdAsync(LinkagePurpose, LinkageOwner, ct);
            var profile = row.Profile is { } text ? FhirDeidentificationProfile.FromJson(text) : FhirDeidentificationProfile.Default;
            deposit = new FhirDeposit(hub, dataset, row.DataKey, depositId, scope, profile, await hub.Keys.GetAsync(linkageId, ct), FhirViews, RowsPerPart);
            await feed(deposit, ct);
            var outcome = await deposit.CompleteAsync(ct);
            var staging = deposit.Written.Where(w => w.EndsWith("/staging.bin", StringComparison.Ordinal)).ToList();
            foreach (var s in staging) await hub.Objects.DeleteAsync(s, ct);

            var parts = outcome.Tables.SelectMany(t => t.Parts).Concat(outcome.Resources.Select(r => r.Part)).ToList();
            var report = new FhirDepositReport(depositId, dataset, "stored", deposit.Files, Sorted(deposit.Read), Sorted(outcome.Stored),
                Sorted(outcome.Dropped), deposit.Duplicates, outcome.Rejected, outcome.RejectedResources,
                outcome.Tables.ToDictionary(t => t.View.Name, t => new FhirTableReport(t.Rows, t.Persons, t.Parts.Count)), outcome.Persons.Count, parts);
            var read = deposit.Read.Values.Sum();
            var stored = outcome.Stored.Values.Sum();
            var entry = new AuditEntry(actor, "dataset.deposit", $"dataset:{dataset}", AuditOutcome.Success, null, new Dictionary<string, string>
            {
                ["deposit"] = depositId, ["kind"] = "fhir", ["files"] = deposit.Files.Count.ToString(CultureInfo.InvariantCulture),
                ["resources"] = read.ToString(CultureInfo.InvariantCulture), ["stored"] = stored.ToString(CultureInfo.InvariantCulture),
                ["rejected"] = outcome.Rejected.ToString(CultureInfo.InvariantCulture),
                ["tables"] = string.Join(",", outcome.Tables.Where(t => t.Rows > 0).Select(t => $"{t.View.Name}:{t.Rows}")),
                ["parts"] = parts.Count.ToString(CultureInfo.InvariantCulture),
            });
            await hub.Audit.CommitWithAsync([entry], async (c, tx) =>
            {
                await RecordDepositAsync(c, tx, depositId, dataset, "fhir", actor, started, "stored", read, stored, outcome.Rejected, outcome.Persons.Count,
                    null, WithoutFileNames(Summary(report), deposit.Files), ct);
                foreach (var table in outcome.Tables)
                    foreach (var part in table.Parts) await InsertPartAsync(c, tx, dataset, table.View.Name, part, ct);
                foreach (var resources in outcome.Resources) await InsertPartAsync(c, tx, dataset, FhirResourcesTable(resources.Type), resources.Part, ct);
                await SaveLinksAsync(c, tx, outcome.Links, depositId, ct);
                foreach (var table in outcome.Tables.Where(t => t.Rows > 0))
                    await UpsertCatalogTableAsync(c, tx, dataset, table.View.Name, table.View.Title, table.Schema.Fields,
                        f => table.View.Columns.Any(col => col.IsDate && col.Name == f.Name),
                        f => table.View.Columns.Any(col => col.IsResourceKey && col.Name == f.Name), table.Rows, table.Persons, ct);
                return 0;
            }, ct);
            return report;
        }
        catch (Exception e)
        {
            var files = deposit?.Files ?? [];
            await DiscardAsync(deposit?.Written ?? [], actor, dataset, depositId, "fhir", started, deposit?.Read.Values.Sum() ?? 0, 0, e,
                redact: text => WithoutFileNames(text, files));
            throw;
        }
        finally
        {
            _running.TryRemove(depositId, out _);
            if (deposit is not null) await deposit.DisposeAsync();
        }
    }

    /// <summary>
    /// File names are the producer's and may carry a patient's name or number (Synthea names its files so): what the hub
    /// records says <c>file 3</c> instead, in the order the files came.
    /// </summary>
    private static string WithoutFileNames(string text, IReadOnlyList<string> files)
    {
        foreach (var (name, i) in files.Select((f, i) => (f, i)).OrderByDescending(f => f.f.Length))
            if (name.Length > 0) text = text.Replace(name, $"file {i + 1}", StringComparison.Ordinal);
        return text;
    }

    /// <summary>The manifest's name for a deposit's NDJSON of one resource type (not a catalogue table).</summary>
    public static string FhirResourcesTable(string resourceType) => $"fhir:{resourceType}";

    private static async System.Threading.Tasks.Task InsertPartAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, string dataset,
        string table, StoredTablePart p, CancellationToken ct)
    {
        await using var cmd = c.Command("""
            INSERT INTO ing_parts (object_id, dataset, table_name, deposit_id, rows_count, persons, seal_digest, persons_object)
            VALUES (@o, @d, @t, @dep, @r, @p, @s, @po)
            """, tx);
        cmd.AddParameter("o", p.ObjectId).AddParameter("d", dataset).AddParameter("t", table).AddParameter("dep", p.DepositId)
            .AddParameter("r", p.Rows).AddParameter("p", p.Persons).AddParameter("s", p.SealDigest).AddParameter("po", p.PersonsObjectId);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static SortedDictionary<string, long> Sorted(IDictionary<string, long> counts) => new(counts, StringComparer.Ordinal);

    /// <summary>The deposit's report as the catalogue shows it: counts only.</summary>
    private static string Summary(FhirDepositReport r)
    {
        static string List(IReadOnlyDictionary<string, long> counts) => counts.Count == 0 ? "none" : string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}"));
        var text = $"resources read: {List(r.ResourcesRead)}; stored: {List(r.ResourcesStored)}; dropped by the profile: {List(r.ResourcesDropped)}; " +
                   $"duplicates: {r.Duplicates}; rejected: {r.Rejected}; tables: {string.Join(", ", r.Tables.Select(t => $"{t.Key} {t.Value.Rows}"))}";
        if (r.RejectedResources.Count > 0)
            text += "\n" + string.Join("\n", r.RejectedResources.Select(p => $"{p["file"]} {(p.TryGetValue("entry", out var e) ? "entry " + e : "line " + p["line"])} ({(p.TryGetValue("resourceType", out var t) ? t : "")}): {p["reason"]}"));
        return text;
    }
}
