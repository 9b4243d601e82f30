using System.CommandLine;
using System.Text.Json;
using Hygie.Core.Catalog;
using Hygie.Ingest.Deposit;

namespace Hygie.Cli.Commands;

/// <summary>Datasets (operator creates, staff lists and shows) and SNDS deposits (producer), clients of the hub API;
/// the file is streamed as the request body.</summary>
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
        var create = new Command("create", "create a dataset and its data key (operator)") { name, kind, classification, description };
        create.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var created = await client.PostAsync<JsonElement>("/api/datasets", new NewDataset(parse.GetValue(name), parse.GetValue(kind),
                parse.GetValue(classification), parse.GetValue(description)), ct);
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
        var table = new Argument<string>("table") { Description = "the SNDS table, e.g. ER_PRS_F" };
        var file = new Argument<FileInfo>("file") { Description = "the CSV file" };
        var delimiter = new Option<string?>("--delimiter") { Description = "field delimiter (default: detected from the header)" };
        var onError = new Option<string?>("--on-error") { Description = "fail (default) or quarantine" };
        var deposit = new Command("deposit", "deposit an SNDS table (producer): streamed, validated, pseudonymized, sealed") { dataset, table, file, delimiter, onError };
        deposit.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var path = parse.GetValue(file)!;
            if (!path.Exists) throw new CliException($"no file {path.FullName}");
            var query = $"?table={Uri.EscapeDataString(parse.GetValue(table)!)}&file={Uri.EscapeDataString(path.Name)}";
            if (parse.GetValue(delimiter) is { Length: > 0 } d) query += $"&delimiter={Uri.EscapeDataString(d)}";
            if (parse.GetValue(onError) is { Length: > 0 } o) query += $"&onError={Uri.EscapeDataString(o)}";
            await using var stream = path.OpenRead();
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/datasets/{Uri.EscapeDataString(parse.GetValue(dataset)!)}/deposits{query}")
            {
                Content = new StreamContent(stream, 1 << 20),
            };
            using var response = await client.SendAsync(request, ct);
            var element = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<JsonElement>(response.Content, CliConsole.JsonOptions, ct);
            if (parse.GetValue(g.Json)) { console.WriteJson(element); return HygieCli.Ok; }
            var r = element.Deserialize<DepositReport>(CliConsole.JsonOptions)!;
            console.Line($"Deposit {r.DepositId}: {r.Table} into {r.Dataset}: {r.RowsRead} rows read, {r.RowsStored} stored, {r.Persons} persons, {r.RowsRejected} rejected, {r.Parts.Count} part(s).");
            foreach (var e in r.Errors.Take(10)) console.Line($"  rejected: line {e["line"]}, column {e["column"]}: {e["valueClass"]}: {e["detail"]} ({e["rule"]})");
            if (r.QuarantineObject is not null) console.Line($"  bad rows sealed in {r.QuarantineObject}");
            return HygieCli.Ok;
        });
        return deposit;
    }
}
