using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Hygie.Core.Audit;
using Hygie.Core.Catalog;
using Hygie.Core.Deidentification;
using Hygie.Core.Errors;
using Hygie.Core.Pseudonymization;
using Hygie.Ingest.BuiltIn;
using Hygie.Ingest.Csv;
using Hygie.Ingest.Deidentification;
using Hygie.Ingest.Schemas;
using Hygie.Storage.Hub;
using Hygie.Storage.Metadata;

namespace Hygie.Ingest.Deposit;

/// <summary>
/// The hub's datasets: creation (with their data key), the catalogue (<see cref="IDatasetCatalog"/>), the manifest of
/// sealed Parquet parts (<see cref="IDatasetFiles"/>) and SNDS deposits, all or nothing.
/// </summary>
public sealed partial class DatasetService(Hub hub) : IDatasetCatalog, IDatasetFiles
{
    public const string LinkagePurpose = "linkage";
    public const string LinkageOwner = "hub";

    /// <summary>Rows per Parquet part before a new part is rolled.</summary>
    public long RowsPerPart { get; init; } = 4_000_000;

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex NamePattern();

    public async Task<DatasetDescription> CreateAsync(string actor, NewDataset request, CancellationToken ct = default)
    {
        var name = request.Name?.Trim() ?? "";
        if (!NamePattern().IsMatch(name)) throw new ValidationFailedException("a dataset name is 1–63 lowercase letters, digits, - or _", "name");
        var kind = request.Kind?.Trim().ToLowerInvariant();
        if (kind is not ("snds" or "fhir")) throw new ValidationFailedException("kind is snds or fhir", "kind");
        var classification = request.Classification?.Trim();
        if (string.IsNullOrEmpty(classification)) throw new ValidationFailedException("give the dataset's classification", "classification");
        var profile = ProfileText(kind, request.Profile);
        if (await FindAsync(name, ct) is not null) throw new ConflictException($"dataset {name} exists", "dataset-exists");
        await EnsurePlacementAsync(actor, name, classification, "creating a dataset", ct);
        var now = hub.Clock.GetUtcNow();
        var entry = new AuditEntry(actor, "dataset.create", $"dataset:{name}", AuditOutcome.Success, null,
            new Dictionary<string, string> { ["kind"] = kind, ["classification"] = classification });
        await hub.Audit.CommitWithAsync([entry], async (c, tx) =>
        {
            var key = await hub.Keys.CreateAsync("dataset", name, c, tx, ct);
            await using var cmd = c.Command("""
                INSERT INTO ing_datasets (name, kind, classification, description, coverage_start, coverage_end, data_key, created_at, created_by, profile)
                VALUES (@n, @k, @c, @d, @cs, @ce, @key, @at, @by, @profile)
                """, tx);
            cmd.AddParameter("n", name).AddParameter("k", kind).AddParameter("c", classification).AddParameter("d", request.Description)
                .AddParameter("cs", request.CoverageStart?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
                .AddParameter("ce", request.CoverageEnd?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
                .AddParameter("key", key).AddParameter("at", now.ToString("O")).AddParameter("by", actor).AddParameter("profile", profile);
            await cmd.ExecuteNonQueryAsync(ct);
            return 0;
        }, ct);
        return (await FindAsync(name, ct))!;
    }

    /// <summary>A profile given at creation, checked by the reader of its kind and stored as its canonical JSON.</summary>
    private static string? ProfileText(string kind, System.Text.Json.JsonElement? profile)
    {
        if (profile is not { } p || p.ValueKind is System.Text.Json.JsonValueKind.Null or System.Text.Json.JsonValueKind.Undefined) return null;
        var json = p.GetRawText();
        if (kind != "fhir") return DeidentificationProfile.FromJson(json).ToJson();
        var fhir = FhirDeidentificationProfile.FromJson(json);
        FhirDeposit.Validate(fhir);
        return fhir.ToJson();
    }

    public async Task<IReadOnlyList<DatasetDescription>> ListAsync(CancellationToken ct = default)
    {
        var names = new List<string>();
        await using (var c = await hub.Metadata.OpenConnectionAsync(ct))
        await using (var cmd = c.Command("SELECT name FROM ing_datasets ORDER BY name"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) names.Add(r.GetString(0));
        var result = new List<DatasetDescription>();
        foreach (var n in names) result.Add((await FindAsync(n, ct))!);
        return result;
    }

    public async Task<DatasetDescription?> FindAsync(string dataset, CancellationToken ct = default) =>
        (await RowAsync(dataset, ct))?.Description;

    private sealed record DatasetRow(DatasetDescription Description, string DataKey, DateTimeOffset Created, string CreatedBy, string? Profile);

    private async Task<DatasetRow?> RowAsync(string dataset, CancellationToken ct)
    {
        await using var c = await hub.Metadata.OpenConnectionAsync(ct);
        string name, kind, classification, key, by; string? description, cs, ce, profile; DateTimeOffset created;
        await using (var cmd = c.Command("SELECT name, kind, classification, description, coverage_start, coverage_end, data_key, created_at, created_by, profile FROM ing_datasets WHERE name = @n"))
        {
            cmd.AddParameter("n", dataset);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct)) return null;
            (name, kind, classification, description, cs, ce, key) = (r.GetString(0), r.GetString(1), r.GetString(2), r.GetNullableString(3), r.GetNullableString(4), r.GetNullableString(5), r.GetString(6));
            created = DateTimeOffset.Parse(r.GetString(7), CultureInfo.InvariantCulture);
            by = r.GetString(8);
            profile = r.GetNullableString(9);
        }
        var tables = new List<(string Name, string? Description, long Rows, long Persons)>();
        await using (var cmd = c.Command("SELECT name, description, rows_count, persons FROM ing_tables WHERE dataset = @n ORDER BY name"))
        {
            cmd.AddParameter("n", name);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) tables.Add((r.GetString(0), r.GetNullableString(1), r.GetInt64Value(2), r.GetInt64Value(3)));
        }
        var columns = new List<(string Table, ColumnDescription Column)>();
        await using (var cmd = c.Command("SELECT table_name, name, type, description, is_person, is_date, is_key FROM ing_columns WHERE dataset = @n ORDER BY table_name, ordinal"))
        {
            cmd.AddParameter("n", name);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                columns.Add((r.GetString(0), new ColumnDescription(r.GetString(1), r.GetString(2), r.GetNullableString(3), r.GetInt64Value(4) != 0, r.GetInt64Value(5) != 0, r.GetInt64Value(6) != 0)));
        }
        var described = tables.Select(t => new TableDescription(t.Name, t.Description, t.Rows, t.Persons,
            columns.Where(x => x.Table == t.Name).Select(x => x.Column).ToList())).ToList();
        return new DatasetRow(new DatasetDescription(name, kind, classification, description, Date(cs), Date(ce), described), key, created, by, profile);
    }

    private static DateOnly? Date(string? text) => text is null ? null : DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    public async Task<DatasetDetails> ShowAsync(string dataset, CancellationToken ct = default)
    {
        var row = await RowAsync(dataset, ct) ?? throw new NotFoundException($"no dataset {dataset}", "unknown-dataset");
        var parts = await PartsOfAsync(dataset, null, ct);
        var deposits = new List<DepositSummary>();
        await using (var c = await hub.Metadata.OpenConnectionAsync(ct))
        await using (var cmd = c.Command("""
            SELECT id, table_name, producer, started_at, finished_at, status, rows_read, rows_stored, rows_rejected, persons, report
            FROM ing_deposits WHERE dataset = @n ORDER BY started_at
            """))
        {
            cmd.AddParameter("n", dataset);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var id = r.GetString(0);
                deposits.Add(new DepositSummary(id, r.GetString(1), r.GetString(2), DateTimeOffset.Parse(r.GetString(3), CultureInfo.InvariantCulture),
                    DateTimeOffset.Parse(r.GetString(4), CultureInfo.InvariantCulture), r.GetString(5), r.GetInt64Value(6), r.GetInt64Value(7),
                    r.GetInt64Value(8), r.GetInt64Value(9), parts.Where(p => p.Part.DepositId == id).Select(p => p.Part).ToList(), r.GetNullableString(10)));
            }
        }
        var effective = row.Profile ?? (row.Description.Kind == "fhir" ? FhirDeidentificationProfile.Default.ToJson() : DeidentificationProfile.SndsDefault.ToJson());
        return new DatasetDetails(row.Description, row.Created, row.CreatedBy, deposits, effective);
    }

    public async Task<IReadOnlyList<StoredTablePart>> PartsAsync(string dataset, string table, CancellationToken ct = default) =>
        (await PartsOfAsync(dataset, table, ct)).Select(p => p.Part).ToList();

    private async Task<List<(string Table, StoredTablePart Part)>> PartsOfAsync(string dataset, string? table, CancellationToken ct)
    {
        var result = new List<(string, StoredTablePart)>();
        await using var c = await hub.Metadata.OpenConnectionAsync(ct);
        await using var cmd = c.Command(
            "SELECT table_name, object_id, rows_count, persons, seal_digest, deposit_id, persons_object FROM ing_parts WHERE dataset = @d" +
            (table is null ? "" : " AND table_name = @t") + " ORDER BY seq");
        cmd.AddParameter("d", dataset);
        if (table is not null) cmd.AddParameter("t", table);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            result.Add((r.GetString(0), new StoredTablePart(r.GetString(1), r.GetInt64Value(2), r.GetInt64Value(3), r.GetString(4), r.GetString(5),
                await r.IsDBNullAsync(6, ct) ? null : r.GetString(6))));
        return result;
    }

    /// <summary>
    /// Deposits one SNDS table read from <paramref name="csv"/>: parsed and validated against the table's schema,
    /// de-identified with the SNDS default profile, written as sealed Parquet parts, then made visible in one
    /// transaction with its audit event. On any failure (bad rows in fail mode, header mismatch, client gone) the
    /// written objects are deleted, the failed deposit is recorded with its error report, and the error is rethrown.
    /// </summary>
    public async Task<DepositReport> DepositSndsAsync(string actor, string dataset, SndsDepositRequest request, Stream csv, CancellationToken ct = default)
    {
        var row = await RowAsync(dataset, ct) ?? throw new NotFoundException($"no dataset {dataset}", "unknown-dataset");
        if (row.Description.Kind != "snds") throw new ValidationFailedException($"dataset {dataset} is {row.Description.Kind}: SNDS tables go to an snds dataset", "dataset", "wrong-kind");
        await EnsurePlacementAsync(actor, dataset, row.Description.Classification, "depositing", ct);
        var table = (request.Table ?? "").Trim();
        TableSchema schema;
        if (request.Schema is { } given)
        {
            if (!given.Matches(table)) throw new ValidationFailedException($"the schema given describes table {given.Name}, not {table}", "schema", "schema-table-mismatch");
            schema = given;
        }
        else schema = BuiltInTables.Find(table) ?? throw new NotFoundException($"unknown table {table}: no schema describes it (give one with --schema)", "unknown-table");
        var fileName = Path.GetFileName(request.FileName ?? table + ".csv");
        var depositId = NewDepositId();
        await SweepOnceAsync(dataset, ct);
        _running[depositId] = 0;
        var started = hub.Clock.GetUtcNow();
        var written = new List<string>();
        var parts = new List<StoredTablePart>();
        long rowsRead = 0, stored = 0, rejected = 0;
        var quarantined = new List<QuarantinedRow>();
        var errors = new List<RowError>();
        var persons = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var linkageId = await hub.Keys.GetOrCreateIdAsync(LinkagePurpose, LinkageOwner, ct);
            var linkageKey = await hub.Keys.GetAsync(linkageId, ct);
            // a few hundred thousand persons in 10M rows: each HMAC computed once (a fixed 128 MiB of cache)
            using var pseudonymizer = new Pseudonymizer(linkageKey, new PseudonymizerOptions { CacheCapacity = 1_000_000 });
            var profile = row.Profile is { } text ? DeidentificationProfile.FromJson(text) : DeidentificationProfile.SndsDefault;
            var shifter = profile.Columns.Values.Any(r => r.Action == ColumnAction.ShiftDate)
                ? new DateShifter(DateShifter.DeriveKey(linkageKey), profile.DateShiftMaxDays) : null;
            using var reader = new SndsCsvReader(csv, schema, new CsvReadOptions
            {
                Delimiter = request.Delimiter, FileName = fileName,
                OnError = request.Quarantine ? RowErrorMode.Quarantine : RowErrorMode.Fail,
            }, leaveOpen: true);
            await reader.ReadHeaderAsync(ct);
            var links = new PersonAliases();
            var plan = new BatchDeidentifier(schema, reader.Header, profile, pseudonymizer, links, shifter, fileName);
            await EnsureSameColumnsAsync(dataset, schema.Name, plan.OutputSchema, ct);
            await using var batches = new BatchReadAhead(reader, ct: ct); // parsing overlaps with de-identifying and writing
            var pending = await batches.ReadBatchAsync(ct);
            if (pending is null && reader.RowsRejected == 0) throw new ValidationFailedException($"{fileName}: no rows after the header", null, "empty-file");
            var partNo = 0;
            while (pending is not null)
            {
                var objectId = $"datasets/{dataset}/{depositId}/{schema.Name.ToLowerInvariant()}-{++partNo}.parquet";
                IReadOnlyList<string> partPersons = [];
                long partRows = 0;
                written.Add(objectId);
                var info = await hub.Sealed.WriteAsync(objectId, row.DataKey, async (stream, token) =>
                {
                    await using var writer = await ParquetPartWriter.CreateAsync(plan.OutputSchema, stream, token);
                    while (pending is not null)
                    {
                        quarantined.AddRange(pending.Quarantined);
                        if (pending.Count > 0)
                        {
                            using var clean = plan.Apply(pending);
                            await writer.WriteAsync(clean, token);
                            partRows += clean.Count;
                        }
                        else pending.Dispose();
                        pending = partRows >= RowsPerPart ? null : await batches.ReadBatchAsync(token);
                        if (partRows >= RowsPerPart) break;
                    }
                    partPersons = writer.Persons;
                }, ct, ParquetPartWriter.SealedChunkSize);
                var personsObject = plan.HasPersonId ? await ParquetPartWriter.SealPersonsAsync(hub.Sealed, objectId, row.DataKey, partPersons, written, ct) : null;
                persons.UnionWith(partPersons);
                stored += partRows;
                parts.Add(new StoredTablePart(objectId, partRows, partPersons.Count, info.SealDigest, depositId, personsObject));
                if (partRows >= RowsPerPart) pending = await batches.ReadBatchAsync(ct);
            }
            rowsRead = reader.RowsRead;
            rejected = reader.RowsRejected;
            errors.AddRange(reader.Errors);

            string? quarantineObject = null;
            if (quarantined.Count > 0)
            {
                quarantineObject = $"datasets/{dataset}/{depositId}/{schema.Name.ToLowerInvariant()}.quarantine.csv";
                written.Add(quarantineObject);
                await hub.Sealed.WriteAsync(quarantineObject, row.DataKey, async (s, token) =>
                {
                    var header = Encoding.UTF8.GetBytes(string.Join(reader.Delimiter, reader.Header) + "\n");
                    await s.WriteAsync(header, token);
                    foreach (var q in quarantined) { await s.WriteAsync(q.Raw, token); s.WriteByte((byte)'\n'); }
                }, ct);
            }

            var report = new DepositReport(depositId, dataset, schema.Name, "stored", rowsRead, stored, rejected, persons.Count, parts,
                errors.Select(e => e.ToProblemMember()).ToList(), quarantineObject);
            var entry = new AuditEntry(actor, "dataset.deposit", $"dataset:{dataset}", AuditOutcome.Success, null, new Dictionary<string, string>
            {
                ["deposit"] = depositId, ["table"] = schema.Name, ["rows"] = stored.ToString(CultureInfo.InvariantCulture),
                ["rejected"] = rejected.ToString(CultureInfo.InvariantCulture), ["parts"] = parts.Count.ToString(CultureInfo.InvariantCulture),
            });
            await hub.Audit.CommitWithAsync([entry], async (c, tx) =>
            {
                await RecordDepositAsync(c, tx, depositId, dataset, schema.Name, actor, started, "stored", rowsRead, stored, rejected, persons.Count,
                    quarantineObject, errors.Count == 0 ? null : string.Join("\n", errors.Take(100).Select(e => e.Message)), ct);
                foreach (var p in parts) await InsertPartAsync(c, tx, dataset, schema.Name, p, ct);
                await UpsertTableAsync(c, tx, dataset, schema, plan, stored, persons.Count, ct);
                await SaveLinksAsync(c, tx, links, depositId, ct);
                return 0;
            }, ct);
            return report;
        }
        catch (Exception e)
        {
            var report = e is RowErrorsException rows ? string.Join("\n", rows.Errors.Select(x => x.Message)) : null;
            await DiscardAsync(written, actor, dataset, depositId, schema.Name, started, rowsRead, rejected, e, report);
            throw;
        }
        finally
        {
            _running.TryRemove(depositId, out _);
        }
    }

    /// <summary>
    /// A deposit that failed: its objects are deleted (none is in a manifest), the refusal is recorded with its audit
    /// event, and a domain error is given the deposit's id. <paramref name="redact"/> rewrites what is recorded (the
    /// caller's answer keeps the file names it sent; the catalogue and the audit log do not).
    /// </summary>
    private async Task DiscardAsync(IEnumerable<string> written, string actor, string dataset, string depositId, string table, DateTimeOffset started,
        long read, long rejected, Exception e, string? report = null, Func<string, string>? redact = null)
    {
        redact ??= text => text;
        foreach (var o in written)
            try { await hub.Objects.DeleteAsync(o, CancellationToken.None); } catch { /* best effort: unreferenced by any manifest, swept later */ }
        var reason = e is HygieException h ? h.Message : e is OperationCanceledException or IOException ? "the upload was interrupted" : "internal error";
        if (e is HygieException he) he.Extensions["deposit"] = depositId;
        try
        {
            var entry = new AuditEntry(actor, "dataset.deposit", $"dataset:{dataset}", AuditOutcome.Failed, redact(reason),
                new Dictionary<string, string> { ["deposit"] = depositId, ["table"] = table });
            await hub.Audit.CommitWithAsync([entry], async (c, tx) =>
            {
                await RecordDepositAsync(c, tx, depositId, dataset, table, actor, started, "refused", read, 0, rejected, 0, null, redact(report ?? reason), CancellationToken.None);
                return 0;
            }, CancellationToken.None);
        }
        catch { /* the original error matters more */ }
    }

    private async Task RecordDepositAsync(DbConnection c, DbTransaction tx, string id, string dataset, string table, string producer, DateTimeOffset started,
        string status, long read, long stored, long rejected, long persons, string? quarantine, string? report, CancellationToken ct)
    {
        await using var cmd = c.Command("""
            INSERT INTO ing_deposits (id, dataset, table_name, producer, started_at, finished_at, status, rows_read, rows_stored, rows_rejected, persons, quarantine_object, report)
            VALUES (@id, @d, @t, @p, @s, @f, @st, @r, @w, @x, @n, @q, @rep)
            """, tx);
        cmd.AddParameter("id", id).AddParameter("d", dataset).AddParameter("t", table).AddParameter("p", producer)
            .AddParameter("s", started.ToString("O")).AddParameter("f", hub.Clock.GetUtcNow().ToString("O")).AddParameter("st", status)
            .AddParameter("r", read).AddParameter("w", stored).AddParameter("x", rejected).AddParameter("n", persons)
            .AddParameter("q", quarantine).AddParameter("rep", report);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The column that places an event in time, to which a permit's data period applies. A table of persons (IR_BEN_R)
    /// has none: filtering beneficiaries by their death date would drop every living one from a workspace.
    /// </summary>
    private static readonly string[] DateColumns = ["EXE_SOI_DTD", "ENT_DAT"];

    private static Task UpsertTableAsync(DbConnection c, DbTransaction tx, string dataset, TableSchema schema, BatchDeidentifier plan,
        long rows, long persons, CancellationToken ct)
    {
        var fields = plan.OutputSchema.Fields;
        var dateColumn = DateColumns.FirstOrDefault(d => fields.Any(f => string.Equals(f.Name, d, StringComparison.OrdinalIgnoreCase) && f.Type == FieldType.Date));
        return UpsertCatalogTableAsync(c, tx, dataset, schema.Name, schema.Title, fields,
            f => string.Equals(f.Name, dateColumn, StringComparison.OrdinalIgnoreCase), _ => false, rows, persons, ct);
    }

    /// <summary>Adds a deposit's rows and persons to a catalogue table, creating it with its columns on first deposit.</summary>
    private static async Task UpsertCatalogTableAsync(DbConnection c, DbTransaction tx, string dataset, string table, string? title,
        IReadOnlyList<FieldSchema> fields, Func<FieldSchema, bool> isDate, Func<FieldSchema, bool> isResourceKey, long rows, long persons, CancellationToken ct)
    {
        bool exists;
        await using (var find = c.Command("SELECT rows_count FROM ing_tables WHERE dataset = @d AND name = @t", tx))
        {
            find.AddParameter("d", dataset).AddParameter("t", table);
            exists = await find.ExecuteScalarAsync(ct) is not null;
        }
        if (exists)
        {
            await using var up = c.Command("UPDATE ing_tables SET rows_count = rows_count + @r, persons = persons + @p WHERE dataset = @d AND name = @t", tx);
            up.AddParameter("r", rows).AddParameter("p", persons).AddParameter("d", dataset).AddParameter("t", table);
            await up.ExecuteNonQueryAsync(ct);
            return;
        }
        await using (var ins = c.Command("INSERT INTO ing_tables (dataset, name, description, rows_count, persons) VALUES (@d, @t, @desc, @r, @p)", tx))
        {
            ins.AddParameter("d", dataset).AddParameter("t", table).AddParameter("desc", string.IsNullOrEmpty(title) ? null : title)
                .AddParameter("r", rows).AddParameter("p", persons);
            await ins.ExecuteNonQueryAsync(ct);
        }
        for (var i = 0; i < fields.Count; i++)
        {
            var f = fields[i];
            await using var col = c.Command("""
                INSERT INTO ing_columns (dataset, table_name, ordinal, name, type, description, is_person, is_date, is_key)
                VALUES (@d, @t, @o, @n, @ty, @desc, @ip, @id, @ik)
                """, tx);
            col.AddParameter("d", dataset).AddParameter("t", table).AddParameter("o", i).AddParameter("n", f.Name)
                .AddParameter("ty", f.Type.ToSchemaName()).AddParameter("desc", string.IsNullOrEmpty(f.Description) ? null : f.Description)
                .AddParameter("ip", f.Name == BatchDeidentifier.PersonIdColumn ? 1 : 0)
                .AddParameter("id", isDate(f) ? 1 : 0)
                .AddParameter("ik", isResourceKey(f) ? 1 : 0);
            await col.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>
    /// Every deposit of a table stores the same columns, so that a workspace reads all its parts alike: a deposit whose
    /// columns (a producer's schema, or a profile that changed) differ from the catalogue's is refused, naming them.
    /// </summary>
    private async Task EnsureSameColumnsAsync(string dataset, string table, TableSchema output, CancellationToken ct)
    {
        var existing = (await FindAsync(dataset, ct))?.Table(table);
        if (existing is null) return;
        var have = existing.Columns.Select(c => $"{c.Name}:{c.Type}").ToList();
        var want = output.Fields.Select(f => $"{f.Name}:{f.Type.ToSchemaName()}").ToList();
        if (have.SequenceEqual(want, StringComparer.OrdinalIgnoreCase)) return;
        var missing = have.Except(want, StringComparer.OrdinalIgnoreCase).ToList();
        var extra = want.Except(have, StringComparer.OrdinalIgnoreCase).ToList();
        throw new ValidationFailedException(
            $"table {table} of {dataset} already holds other columns: this deposit {(missing.Count > 0 ? "lacks " + string.Join(", ", missing) : "")}" +
            $"{(missing.Count > 0 && extra.Count > 0 ? " and " : "")}{(extra.Count > 0 ? "adds " + string.Join(", ", extra) : "")}" +
            $"{(missing.Count == 0 && extra.Count == 0 ? "orders them differently" : "")}", "schema", "schema-mismatch");
    }
}
