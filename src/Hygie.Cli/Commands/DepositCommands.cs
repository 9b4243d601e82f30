using System.CommandLine;
using System.Text.Json;
using Hygie.Core.Catalog;
using Hygie.Ingest.Deposit;

namespace Hygie.Cli.Commands;

/// <summary>Datasets (operator creates, staff lists and shows) and SNDS or FHIR deposits (producer), clients of the hub API;
/// files are streamed (one as the request body, several as multipart parts), never read whole.</summary>
public static class DepositCommands
{
    public static IEnumerable<Command> Create(GlobalOptions g, CliConsole console) => [Datasets(g, console), Deposit(g, console)];

    private static Command Datasets(GlobalOptions g, CliConsole console)
    {
        var datasets = new Command("datasets", "the hub's datasets: tables, columns, deposits");
        var name = new Argument<string>("name") { Description = "dataset name (lower case, e.g. snds-2019)" };
        var kind = new Option<string>("--kind") { Description = "snds or fhir", Required = true };
        var classification = new Option<string>("--classification") { Description = "the sovereignty class, e.g. snds or clinical", Required = true };
        var description = new Option<string?>("--description") { Description = "what the dataset holds" };
        var profile = new Option<FileInfo?>("--profile") { Description = "the dataset's de-identification profile (JSON; default: the hub's for the kind)" };
        var create = new Command("create", "create a dataset and its data key (operator)") { name, kind, classification, description, profile };
        create.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            JsonElement? profileJson = null;
            if (parse.GetValue(profile) is { } file)
            {
                if (!file.Exists) throw new CliException($"no file {file.FullName}");
                try { profileJson = JsonDocument.Parse(await File.ReadAllTextAsync(file.FullName, ct)).RootElement.Clone(); }
                catch (JsonException e) { throw new CliException($"{file.Name}: not JSON (line {e.LineNumber + 1})"); }
            }
            var created = await client.PostAsync<JsonElement>("/api/datasets", new NewDataset(parse.GetValue(name), parse.GetValue(kind),
                parse.GetValue(classification), parse.GetValue(description), Profile: profileJson), ct);
            if (parse.GetValue(g.Json)) console.WriteJson(created);
            else console.Line($"Dataset {parse.GetValue(name)} created.");
            return HygieCli.Ok;
        });
        datasets.Subcommands.Add(create);

        var list = new Command("list", "list the datasets");
        list.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var element = await client.GetAsync<JsonElement>("/api/datasets", ct);
            if (parse.GetValue(g.Json)) { console.WriteJson(element); return HygieCli.Ok; }
            var all = element.Deserialize<List<DatasetDescription>>(CliConsole.JsonOptions) ?? [];
            console.Table(["name", "kind", "classification", "tables", "rows"],
                all.Select(d => new[] { d.Name, d.Kind, d.Classification, d.Tables.Count.ToString(), d.Tables.Sum(t => t.Rows).ToString() }));
            return HygieCli.Ok;
        });
        datasets.Subcommands.Add(list);

        var showName = new Argument<string>("name") { Description = "dataset name" };
        var show = new Command("show", "tables, columns, row and person counts, deposits") { showName };
        show.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var element = await client.GetAsync<JsonElement>($"/api/datasets/{Uri.EscapeDataString(parse.GetValue(showName)!)}", ct);
            if (parse.GetValue(g.Json)) { console.WriteJson(element); return HygieCli.Ok; }
            var d = element.Deserialize<DatasetDetails>(CliConsole.JsonOptions)!;
            console.Line($"{d.Dataset.Name} ({d.Dataset.Kind}, classification {d.Dataset.Classification}), created {d.Created:u} by {d.CreatedBy}");
            console.Table(["table", "rows", "persons", "columns"],
                d.Dataset.Tables.Select(t => new[] { t.Name, t.Rows.ToString(), t.Persons.ToString(), string.Join(", ", t.Columns.Select(c => $"{c.Name}:{c.Type}")) }));
            console.Table(["deposit", "table", "producer", "finished", "status", "stored", "rejected", "persons", "digests"],
                d.Deposits.Select(x => new[] { x.Id, x.Table, x.Producer, x.Finished.ToString("u"), x.Status, x.RowsStored.ToString(), x.RowsRejected.ToString(),
                    x.Persons.ToString(), string.Join(" ", x.Parts.Select(p => p.SealDigest[..Math.Min(16, p.SealDigest.Length)])) }));
            return HygieCli.Ok;
        });
        datasets.Subcommands.Add(show);
        return datasets;
    }

    private static Command Deposit(GlobalOptions g, CliConsole console)
    {
        var dataset = new Argument<string>("dataset") { Description = "the dataset" };
        var table = new Argument<string?>("table") { Description = "the SNDS table, e.g. ER_PRS_F", Arity = ArgumentArity.ZeroOrOne };
        var file = new Argument<FileInfo?>("file") { Description = "the CSV file", Arity = ArgumentArity.ZeroOrOne };
        var fhir = new Option<FileInfo[]>("--fhir")
        {
            Description = "FHIR R4 files (Bundles of type transaction, batch or collection; NDJSON of resources), deposited together, all or nothing",
            AllowMultipleArgumentsPerToken = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var schema = new Option<FileInfo?>("--schema") { Description = "the table's Frictionless Table Schema (default: the hub's built-in definition)" };
        var delimiter = new Option<string?>("--delimiter") { Description = "field delimiter (default: detected from the header)" };
        var onError = new Option<string?>("--on-error") { Description = "fail (default) or quarantine" };
        var deposit = new Command("deposit", "deposit an SNDS table or FHIR files (producer): streamed, validated, pseudonymized, sealed")
            { dataset, table, file, fhir, schema, delimiter, onError };
        deposit.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var name = Uri.EscapeDataString(parse.GetValue(dataset)!);
            var json = parse.GetValue(g.Json);
            var progress = CliProgress.For(console, json);
            JsonElement element;
            if (parse.GetValue(fhir) is { Length: > 0 } files)
            {
                if (parse.GetValue(table) is not null || parse.GetValue(file) is not null || parse.GetValue(schema) is not null)
                    throw new CliException("give either TABLE FILE (SNDS, optionally --schema) or --fhir FILES, not both");
                element = await SendAsync(client, $"/api/datasets/{name}/deposits", [.. files.Select(f => ("file", f))], progress, ct);
                if (json) { console.WriteJson(element); return HygieCli.Ok; }
                var r = element.Deserialize<FhirDepositReport>(CliConsole.JsonOptions)!;
                static string Counts(IReadOnlyDictionary<string, long> counts) => string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}"));
                console.Line($"Deposit {r.DepositId}: {r.Files.Count} file(s) into {r.Dataset}: {r.ResourcesRead.Values.Sum()} resources read, " +
                             $"{r.ResourcesStored.Values.Sum()} stored, {r.ResourcesDropped.Values.Sum()} dropped, {r.Duplicates} duplicate(s), {r.Rejected} rejected, {r.Persons} persons.");
                console.Line($"  tables: {string.Join(", ", r.Tables.Where(t => t.Value.Rows > 0).Select(t => $"{t.Key} {t.Value.Rows}"))}");
                if (r.ResourcesDropped.Count > 0) console.Line($"  not kept (no patient, or the profile drops them): {Counts(r.ResourcesDropped)}");
                foreach (var e in r.RejectedResources.Take(10))
                    console.Line($"  rejected: {e["file"]} {(e.TryGetValue("entry", out var entry) ? $"entry {entry}" : $"line {e["line"]}")}: {e["reason"]}");
                return HygieCli.Ok;
            }
            var tableName = parse.GetValue(table) ?? throw new CliException("name the SNDS table and its CSV file (or give --fhir FILES)");
            var path = parse.GetValue(file) ?? throw new CliException($"give the CSV file of {tableName}");
            var query = $"?table={Uri.EscapeDataString(tableName)}&file={Uri.EscapeDataString(path.Name)}";
            if (parse.GetValue(delimiter) is { Length: > 0 } d) query += $"&delimiter={Uri.EscapeDataString(d)}";
            if (parse.GetValue(onError) is { Length: > 0 } o) query += $"&onError={Uri.EscapeDataString(o)}";
            List<(string, FileInfo)> parts = [("file", path)];
            if (parse.GetValue(schema) is { } schemaFile) parts.Insert(0, ("schema", schemaFile));
            element = await SendAsync(client, $"/api/datasets/{name}/deposits{query}", parts, progress, ct, multipart: parts.Count > 1);
            if (json) { console.WriteJson(element); return HygieCli.Ok; }
            var report = element.Deserialize<DepositReport>(CliConsole.JsonOptions)!;
            console.Line($"Deposit {report.DepositId}: {report.Table} into {report.Dataset}: {report.RowsRead} rows read, {report.RowsStored} stored, {report.Persons} persons, {report.RowsRejected} rejected, {report.Parts.Count} part(s).");
            foreach (var e in report.Errors.Take(10)) console.Line($"  rejected: line {e["line"]}, column {e["column"]}: {e["valueClass"]}: {e["detail"]} ({e["rule"]})");
            if (report.QuarantineObject is not null) console.Line($"  bad rows sealed in {report.QuarantineObject}");
            return HygieCli.Ok;
        });
        return deposit;
    }

    /// <summary>
    /// Streams the files to the hub — one as the request body, several as multipart/form-data parts in order — never
    /// holding one in memory; progress is the bytes sent.
    /// </summary>
    private static async Task<JsonElement> SendAsync(HubClient client, string path, IReadOnlyList<(string Part, FileInfo File)> files,
        IProgress<Storage.Operations.OperationProgress>? progress, CancellationToken ct, bool multipart = true)
    {
        foreach (var (_, f) in files)
            if (!f.Exists) throw new CliException($"no file {f.FullName}");
        var total = files.Sum(f => f.File.Length);
        var sent = new UploadProgress(progress, total, files.Count);
        var streams = new List<Stream>();
        try
        {
            HttpContent content;
            if (!multipart)
            {
                var stream = new ProgressStream(files[0].File.OpenRead(), sent);
                streams.Add(stream);
                content = new StreamContent(stream, 1 << 20);
            }
            else
            {
                var form = new MultipartFormDataContent();
                foreach (var (part, f) in files)
                {
                    var stream = new ProgressStream(f.OpenRead(), sent);
                    streams.Add(stream);
                    var body = new StreamContent(stream, 1 << 20);
                    body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(part == "schema" || f.Extension == ".json"
                        ? "application/json" : f.Extension == ".ndjson" ? "application/fhir+ndjson" : "text/csv");
                    form.Add(body, part, f.Name);
                }
                content = form;
            }
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
            using var response = await client.SendAsync(request, ct);
            return await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<JsonElement>(response.Content, CliConsole.JsonOptions, ct);
        }
        finally
        {
            foreach (var s in streams) await s.DisposeAsync();
        }
    }

    private sealed class UploadProgress(IProgress<Storage.Operations.OperationProgress>? progress, long total, int files)
    {
        private long _sent;
        public void Add(int bytes)
        {
            _sent += bytes;
            progress?.Report(new Storage.Operations.OperationProgress($"upload ({files} file{(files == 1 ? "" : "s")})", _sent, total, _sent));
        }
    }

    /// <summary>A file read for upload, reporting the bytes that went.</summary>
    private sealed class ProgressStream(Stream inner, UploadProgress progress) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Report(inner.Read(buffer, offset, count));
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => Report(await inner.ReadAsync(buffer, ct));
        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => Report(await inner.ReadAsync(buffer.AsMemory(offset, count), ct));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        private int Report(int n)
        {
            progress.Add(n);
            return n;
        }
    }
}
