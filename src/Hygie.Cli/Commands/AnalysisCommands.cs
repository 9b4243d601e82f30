using System.CommandLine;
using System.Text.Json;
using Hygie.Server.Analysis;

namespace Hygie.Cli.Commands;

/// <summary><c>hygie query</c>, <c>hygie workspace tables</c> and <c>hygie release …</c> (the output airlock), over the API.</summary>
public static class AnalysisCommands
{
    public static IEnumerable<Command> Create(GlobalOptions g, CliConsole console) => [Query(g, console), Workspace(g, console), Release(g, console)];

    private static string Text(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => "",
        JsonValueKind.String => e.GetString()!,
        _ => e.GetRawText(),
    };

    private static Command Query(GlobalOptions g, CliConsole console)
    {
        var project = new Argument<string>("project") { Description = "the project id" };
        var sql = new Argument<string>("sql") { Description = "one SELECT over the project workspace" };
        var page = new Option<int>("--page") { Description = "page number, from 0" };
        var size = new Option<int>("--page-size") { Description = "rows per page (default 100)", DefaultValueFactory = _ => 100 };
        var explain = new Option<bool>("--explain") { Description = "show the plan instead of running the query" };
        var command = new Command("query", "run a query on the project workspace and show one page of its result") { project, sql, page, size, explain };
        command.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var path = $"/api/projects/{Uri.EscapeDataString(parse.GetValue(project)!)}";
            if (parse.GetValue(explain))
            {
                var plan = await client.PostAsync<JsonElement>(path + "/explain", new QueryRequest(parse.GetValue(sql), null, null), ct);
                if (parse.GetValue(g.Json)) console.WriteJson(plan); else console.Line(plan.GetProperty("plan").GetString() ?? "");
                return HygieCli.Ok;
            }
            var result = await client.PostAsync<JsonElement>(path + "/query", new QueryRequest(parse.GetValue(sql), parse.GetValue(page), parse.GetValue(size)), ct);
            if (parse.GetValue(g.Json)) { console.WriteJson(result); return HygieCli.Ok; }
            console.Table(result.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToArray(),
                result.GetProperty("rows").EnumerateArray().Select(r => r.EnumerateArray().Select(Text).ToArray<string?>()));
            if (result.GetProperty("hasMore").GetBoolean()) console.Line($"more rows: --page {result.GetProperty("page").GetInt32() + 1}");
            return HygieCli.Ok;
        });
        return command;
    }

    private static Command Workspace(GlobalOptions g, CliConsole console)
    {
        var workspace = new Command("workspace", "the project's analysis workspace");
        var project = new Argument<string>("project") { Description = "the project id" };
        var tables = new Command("tables", "the tables and columns the permit grants, as loaded") { project };
        tables.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var result = await client.GetAsync<JsonElement>($"/api/projects/{Uri.EscapeDataString(parse.GetValue(project)!)}/workspace/tables", ct);
            if (parse.GetValue(g.Json)) { console.WriteJson(result); return HygieCli.Ok; }
            console.Table(["table", "rows", "columns"], result.EnumerateArray().Select(t => new[]
            {
                t.GetProperty("name").GetString(), Text(t.GetProperty("rows")),
                string.Join(", ", t.GetProperty("columns").EnumerateArray().Select(c => $"{c.GetProperty("name").GetString()} {c.GetProperty("type").GetString()}")),
            }));
            return HygieCli.Ok;
        });
        workspace.Subcommands.Add(tables);
        return workspace;
    }

    private static Command Release(GlobalOptions g, CliConsole console)
    {
        var release = new Command("release", "the output airlock: request, review, list and download releases");

        var project = new Argument<string>("project") { Description = "the project id" };
        var query = new Option<string>("--query") { Description = "row-level SELECT returning the person column (NUM_ENQ or person_id) and the --by columns", Required = true };
        var name = new Option<string>("--name") { Description = "the release's name (public once released)", Required = true };
        var description = new Option<string?>("--description") { Description = "what the output is" };
        var by = new Option<string[]>("--by") { Description = "a dimension to tabulate by (1 to 4; repeat)", Required = true, AllowMultipleArgumentsPerToken = true };
        var sum = new Option<string?>("--sum") { Description = "a numeric column to sum per cell" };
        var request = new Command("request", "measure, check and submit an output for review") { project, query, name, description, by, sum };
        request.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var view = await client.PostAsync<ReleaseView>($"/api/projects/{Uri.EscapeDataString(parse.GetValue(project)!)}/releases",
                new ReleaseRequest(parse.GetValue(name), parse.GetValue(description), parse.GetValue(query), parse.GetValue(by), parse.GetValue(sum)), ct);
            if (parse.GetValue(g.Json)) { console.WriteJson(view); return HygieCli.Ok; }
            console.Line($"Release {view.Id} {view.State}: verdict {view.Verdict}, {view.Report.PrimarySuppressed} cell(s) suppressed (primary), {view.Report.SecondarySuppressed} (secondary).");
            Cells(console, view);
            return HygieCli.Ok;
        });
        release.Subcommands.Add(request);

        var id = new Argument<string>("id") { Description = "the release id" };
        var approve = new Option<bool>("--approve");
        var reject = new Option<bool>("--reject");
        var ret = new Option<bool>("--return");
        var comment = new Option<string?>("--comment") { Description = "the reviewer's comment" };
        var review = new Command("review", "vote on a release (reviewers independent of the project)") { id, approve, reject, ret, comment };
        review.SetHandler(console, async (parse, ct) =>
        {
            var votes = new[] { (parse.GetValue(approve), "approve"), (parse.GetValue(reject), "reject"), (parse.GetValue(ret), "return") }.Where(v => v.Item1).ToList();
            if (votes.Count != 1) throw new CliException("give exactly one of --approve, --reject, --return");
            using var client = HubAccess.Client(parse, g);
            var view = await client.PostAsync<ReleaseView>($"/api/releases/{Uri.EscapeDataString(parse.GetValue(id)!)}/review",
                new ReleaseVoteRequest(votes[0].Item2, parse.GetValue(comment)), ct);
            if (parse.GetValue(g.Json)) console.WriteJson(view); else console.Line($"Release {view.Id} is {view.State}.");
            return HygieCli.Ok;
        });
        release.Subcommands.Add(review);

        var listProject = new Argument<string>("project") { Description = "the project id" };
        var list = new Command("list", "the project's releases") { listProject };
        list.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var all = await client.GetAsync<List<ReleaseView>>($"/api/projects/{Uri.EscapeDataString(parse.GetValue(listProject)!)}/releases", ct);
            if (parse.GetValue(g.Json)) { console.WriteJson(all); return HygieCli.Ok; }
            console.Table(["id", "name", "state", "verdict", "author", "votes", "created"],
                all.Select(r => new[] { r.Id, r.Name, r.State, r.Verdict, r.Author, string.Join(" ", r.Votes.Select(v => $"{v.Reviewer}:{v.Vote}")), r.Created.ToString("u") }));
            return HygieCli.Ok;
        });
        release.Subcommands.Add(list);

        var downloadId = new Argument<string>("id") { Description = "the release id" };
        var format = new Option<string>("--format") { Description = "csv", DefaultValueFactory = _ => "csv" };
        var output = new Option<string>("--out") { Description = "the file to write", Required = true };
        var download = new Command("download", "download a released output (project members only)") { downloadId, format, output };
        download.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get,
                $"/api/releases/{Uri.EscapeDataString(parse.GetValue(downloadId)!)}/download?format={Uri.EscapeDataString(parse.GetValue(format)!)}"), ct);
            await using (var file = File.Create(parse.GetValue(output)!))
                await response.Content.CopyToAsync(file, ct);
            console.Line($"Release written to {parse.GetValue(output)}.");
            return HygieCli.Ok;
        });
        release.Subcommands.Add(download);
        return release;
    }

    private static void Cells(CliConsole console, ReleaseView view) =>
        console.Table(["cell", "measure", "persons", "status", "rule", "published"], view.Report.Cells.Select(c => new[]
        {
            string.Join(" × ", c.Key.Select(k => k ?? "Total")), c.Measure, c.Persons.ToString(System.Globalization.CultureInfo.InvariantCulture),
            c.Status, c.Rule, c.Published?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }));
}
