using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;

namespace Hygie.Cli.Commands;

/// <summary>
/// The operator's verbs for the FHIR store, through the API: <c>tenants add|list</c> and <c>alerts add|list|remove</c>.
/// A tenant's applications get their tokens from <c>hygie tokens create --tenant T --scope S</c>.
/// </summary>
public static class FhirCommands
{
    public static Command Tenants(GlobalOptions g, CliConsole console)
    {
        var tenants = new Command("tenants", "FHIR tenants: each customer's store, with its own keys");

        var name = new Argument<string>("name") { Description = "tenant name: lowercase letters, digits, dashes (part of its FHIR base URL)" };
        var nameSearch = new Option<bool>("--name-search") { Description = "allow prefix search on patient names (hashed prefixes are indexed); exact match otherwise" };
        var add = new Command("add", "create a tenant and its keys") { name, nameSearch };
        add.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var tenant = await client.PostAsync<JsonElement>("/api/fhir/tenants", new { name = parse.GetValue(name), nameSearch = parse.GetValue(nameSearch) }, ct);
            if (parse.GetValue(g.Json)) console.WriteJson(tenant);
            else console.Line($"Created tenant {tenant.GetProperty("id").GetString()}: FHIR base {tenant.GetProperty("fhirBase").GetString()} (name search: {tenant.GetProperty("nameSearch").GetString()})");
            return HygieCli.Ok;
        });

        var list = new Command("list", "list the tenants");
        list.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var all = await client.GetAsync<JsonElement[]>("/api/fhir/tenants", ct);
            if (parse.GetValue(g.Json)) console.WriteJson(all);
            else console.Table(["tenant", "FHIR base", "name search", "data key", "created"],
                all.Select(t => new[] { S(t, "id"), S(t, "fhirBase"), S(t, "nameSearch"), S(t, "dataKeyId"), S(t, "createdAt") }));
            return HygieCli.Ok;
        });

        tenants.Subcommands.Add(add);
        tenants.Subcommands.Add(list);
        return tenants;
    }

    public static Command Alerts(GlobalOptions g, CliConsole console)
    {
        var alerts = new Command("alerts", "remote-monitoring alert rules of a tenant");

        var tenant = new Argument<string>("tenant") { Description = "the tenant" };
        var file = new Option<FileInfo>("--file") { Description = "the rule, as JSON", Required = true };
        var add = new Command("add", "add an alert rule: an Observation code, a condition (above, below, count, absent) and a severity") { tenant, file };
        add.SetHandler(console, async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists) throw new CliException($"rule file {path.FullName} does not exist");
            using var client = HubAccess.Client(parse, g);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/fhir/tenants/{Uri.EscapeDataString(parse.GetValue(tenant)!)}/alert-rules")
            {
                Content = new ByteArrayContent(await File.ReadAllBytesAsync(path.FullName, ct)),
            };
            request.Content.Headers.ContentType = new("application/json");
            using var response = await client.SendAsync(request, ct);
            var rule = await response.Content.ReadFromJsonAsync<JsonElement>(CliConsole.JsonOptions, ct);
            if (parse.GetValue(g.Json)) console.WriteJson(rule);
            else console.Line($"Added rule {S(rule, "id")} to {parse.GetValue(tenant)}: {S(rule, "describe")} → {S(rule, "severity")}");
            return HygieCli.Ok;
        });

        var listTenant = new Argument<string>("tenant") { Description = "the tenant" };
        var list = new Command("list", "list a tenant's alert rules") { listTenant };
        list.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var rules = await client.GetAsync<JsonElement[]>($"/api/fhir/tenants/{Uri.EscapeDataString(parse.GetValue(listTenant)!)}/alert-rules", ct);
            if (parse.GetValue(g.Json)) console.WriteJson(rules);
            else console.Table(["id", "name", "watches", "severity"], rules.Select(r => new[] { S(r, "id"), S(r, "name"), S(r, "describe"), S(r, "severity") }));
            return HygieCli.Ok;
        });

        var removeTenant = new Argument<string>("tenant") { Description = "the tenant" };
        var id = new Argument<string>("id") { Description = "the rule's id" };
        var remove = new Command("remove", "remove an alert rule") { removeTenant, id };
        remove.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Delete,
                $"/api/fhir/tenants/{Uri.EscapeDataString(parse.GetValue(removeTenant)!)}/alert-rules/{Uri.EscapeDataString(parse.GetValue(id)!)}"), ct);
            if (parse.GetValue(g.Json)) console.WriteJson(new { removed = parse.GetValue(id) });
            else console.Line($"Removed rule {parse.GetValue(id)}");
            return HygieCli.Ok;
        });

        alerts.Subcommands.Add(add);
        alerts.Subcommands.Add(list);
        alerts.Subcommands.Add(remove);
        return alerts;
    }

    private static string S(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : v.ToString() : "";
}
