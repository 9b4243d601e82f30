using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Hygie.Cli.Demo;
using Hygie.Core.Errors;
using Hygie.Server;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;
using Hygie.Web;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Hygie.Cli.Commands;

public static class ServeCommand
{
    public static Command Create(GlobalOptions g, CliConsole console)
    {
        var demo = new Option<bool>("--demo") { Description = "create the hub in --data if there is none, filled with synthetic demo data, accounts and a project" };
        var urls = new Option<string>("--urls")
        {
            Description = "where to listen (env HYGIE_URLS)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("HYGIE_URLS") is { Length: > 0 } u ? u : "http://127.0.0.1:5080",
        };
        var command = new Command("serve", "run the hub: API, FHIR and web console") { demo, urls };
        command.SetHandler(console, async (parse, ct) =>
        {
            var data = parse.GetValue(g.Data)!;
            var json = parse.GetValue(g.Json);
            var listen = parse.GetValue(urls)!;
            // before anything is created or filled: a busy port would otherwise leave a new demo hub that never served
            if (BusyAddress(listen) is { } busy)
                return console.Fail($"cannot listen on {busy}: the address is already in use (stop the other process or pass --urls)");
            var options = new HubOpenOptions { Migrations = ServedModules.Migrations };
            Hub hub;
            var created = false;
            if (parse.GetValue(demo) && !File.Exists(Path.Combine(data, HubConfig.FileName)))
            {
                // A demo hub runs on this machine whatever its qualifications: a development policy, labelled as such.
                (hub, var token) = await Hub.InitAsync(data, options with { Policy = Storage.Locations.PolicyDocument.DevelopmentPolicy }, ct);
                InitCommand.Report(console, json, hub, token.Secret, jsonLine: true);
                created = true;
            }
            else
            {
                hub = await Hub.OpenAsync(data, options, ct);
            }

            await using (hub)
            {
                // Held while serving: a migration never switches the stores under a running server.
                using var hubLock = HubLock.Acquire(hub.DataDirectory, "hygie serve", "another 'hygie serve' or a migration switch holds this hub: stop it first");
                // A server killed mid-write (a deposit's upload) leaves temporary files that no one else writes: the lock
                // says this server is the store's only writer now.
                if (hub.Objects is Storage.Objects.FileObjectStore files) files.RemoveAbandonedWrites();
                var serverOptions = new ServerOptions { Urls = listen, Oidc = OidcSettings(), AccessCountry = AccessCountrySettings() };
                await using var app = HygieServer.Build(hub, serverOptions, ServedModules.All);
                if (created)
                {
                    // only the first time: the demo data goes in through the services the server is about to host
                    DemoReport report;
                    try
                    {
                        report = await DemoHub.FillAsync(app.Services, hub, new DemoHub.Settings(), ct);
                    }
                    catch (HygieException e)
                    {
                        throw new CliException($"the demo hub in {hub.DataDirectory} was created but its demo data failed: {e.Message} (remove the directory and run 'serve --demo' again)");
                    }
                    Print(console, json, report);
                }
                try
                {
                    await app.StartAsync(ct);
                }
                catch (IOException e) when (e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase) || e.InnerException is System.Net.Sockets.SocketException)
                {
                    return console.Fail($"cannot listen on {serverOptions.Urls}: the address is already in use (stop the other process or pass --urls)");
                }
                if (json) console.WriteJsonLine(new { hubId = hub.HubId, listening = app.Urls, dataDirectory = hub.DataDirectory });
                else console.Line($"Hygie {hub.HubId} listening on {string.Join(", ", app.Urls)} (data: {hub.DataDirectory})");
                await app.WaitForShutdownAsync(ct);
            }
            return HygieCli.Ok;
        });
        return command;
    }

    /// <summary>The first of <paramref name="urls"/> (';'-separated) whose address and port another process already holds.</summary>
    private static string? BusyAddress(string urls)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Port == 0) continue;
            var address = uri.Host is "localhost" ? IPAddress.Loopback
                : uri.Host is "*" or "+" or "0.0.0.0" ? IPAddress.Any
                : IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? ip : null;
            if (address is null) continue; // a host name: Kestrel resolves and reports it
            try
            {
                using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                probe.Bind(new IPEndPoint(address, uri.Port));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                return url;
            }
        }
        return null;
    }

    private static void Print(CliConsole console, bool json, DemoReport r)
    {
        if (json)
        {
            console.WriteJsonLine(new
            {
                demo = new
                {
                    r.Persons, r.Seed, r.Year, dataset = DemoHub.Dataset,
                    tables = r.Tables.Select(t => new { table = t.Table, rows = t.Rows, persons = t.Persons }),
                    tenant = r.Tenant, bundles = r.Bundles, resources = r.Resources,
                    accounts = r.Accounts.Select(a => new { user = a.User, roles = a.Roles, token = a.Token }),
                    fhirToken = r.FhirToken, project = r.Project, permit = r.PermitId, permitEnds = r.PermitEnds, pendingProject = r.PendingProject,
                    fhirDataset = r.FhirDataset, seconds = Math.Round(r.Seconds, 2),
                },
            });
            return;
        }
        console.Line($"Demo data (synthetic: {r.Persons:N0} persons, year {r.Year}, seed {r.Seed}) created in {r.Seconds:F1} s:");
        console.Line($"  dataset {DemoHub.Dataset} (pseudonymized, sealed): " + string.Join(", ", r.Tables.Select(t => $"{t.Table} {t.Rows:N0}")));
        console.Line($"  FHIR tenant {r.Tenant}: {r.Bundles} patients, {r.Resources:N0} resources (base /fhir/{r.Tenant}/, patients identified by BEN_NIR_PSA and INS-NIR)");
        console.Line($"  project {r.Project} approved (permit {r.PermitId}, until {r.PermitEnds:yyyy-MM-dd}); {r.PendingProject} waits for review");
        console.Line(r.FhirDataset is null
            ? "  FHIR research dataset: none yet (this hub has no FHIR deposit pipeline installed)"
            : $"  FHIR research dataset {r.FhirDataset}: the tenant's export, deposited");
        console.Line("Demo accounts (tokens shown once, only their hashes are kept):");
        foreach (var a in r.Accounts) console.Line($"  {a.User,-16} {a.Roles,-10} {a.Token}");
        console.Line($"  {DemoHub.Producer,-16} FHIR token for /fhir/{r.Tenant}/ (user/*.*): {r.FhirToken}");
        console.Line($"  try: HYGIE_TOKEN=<{DemoHub.Researcher} token> hygie query {r.Project} \"SELECT PRS_NAT_REF, COUNT(*) AS n FROM ER_PRS_F GROUP BY 1 ORDER BY n DESC\"");
    }

    private static IConfiguration Settings() => new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
        .AddEnvironmentVariables("HYGIE__")
        .Build();

    /// <summary>The OpenID Connect provider, from appsettings.json (<c>Oidc</c>) overridden by <c>HYGIE__OIDC__…</c> variables; null when not configured.</summary>
    private static Server.Auth.OidcOptions? OidcSettings()
    {
        var oidc = Settings().GetSection("Oidc").Get<Server.Auth.OidcOptions>();
        return oidc is { Enabled: true } ? oidc : null;
    }

    /// <summary>The trusted proxy's country header (<c>AccessCountry</c>, <c>HYGIE__ACCESSCOUNTRY__HEADER</c> and <c>__TRUSTEDPROXIES</c>); null when off.</summary>
    private static AccessCountryOptions? AccessCountrySettings() => Settings().GetSection("AccessCountry").Get<AccessCountryOptions>()?.Validate();
}
