using System.CommandLine;
using Hygie.Server;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Hygie.Cli.Commands;

public static class ServeCommand
{
    public static Command Create(GlobalOptions g, CliConsole console)
    {
        var demo = new Option<bool>("--demo") { Description = "create the hub in --data if there is none, with demo data" };
        var urls = new Option<string>("--urls")
        {
            Description = "where to listen (env HYGIE_URLS)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("HYGIE_URLS") is { Length: > 0 } u ? u : "http://127.0.0.1:5080",
        };
        var command = new Command("serve", "run the hub: API, FHIR and web console") { demo, urls };
        command.SetHandler(console, async (parse, ct) =>
        {
            var data = parse.GetValue(g.Data)!;
            var options = new HubOpenOptions { Migrations = HubModules.Migrations };
            Hub hub;
            if (parse.GetValue(demo) && !File.Exists(Path.Combine(data, HubConfig.FileName)))
            {
                // A demo hub runs on this machine whatever its qualifications: a development policy, labelled as such.
                (hub, var token) = await Hub.InitAsync(data, options with { Policy = Storage.Locations.PolicyDocument.DevelopmentPolicy }, ct);
                InitCommand.Report(console, false, hub, token.Secret);
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
                var serverOptions = new ServerOptions { Urls = parse.GetValue(urls)!, Oidc = OidcSettings() };
                await using var app = HygieServer.Build(hub, serverOptions);
                try
                {
                    await app.StartAsync(ct);
                }
                catch (IOException e) when (e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase) || e.InnerException is System.Net.Sockets.SocketException)
                {
                    return console.Fail($"cannot listen on {serverOptions.Urls}: the address is already in use (stop the other process or pass --urls)");
                }
                console.Line($"Hygie {hub.HubId} listening on {string.Join(", ", app.Urls)} (data: {hub.DataDirectory})");
                await app.WaitForShutdownAsync(ct);
            }
            return HygieCli.Ok;
        });
        return command;
    }

    /// <summary>The OpenID Connect provider, from appsettings.json (<c>Oidc</c>) overridden by <c>HYGIE__OIDC__…</c> variables; null when not configured.</summary>
    private static Server.Auth.OidcOptions? OidcSettings()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables("HYGIE__")
            .Build();
        var oidc = configuration.GetSection("Oidc").Get<Server.Auth.OidcOptions>();
        return oidc is { Enabled: true } ? oidc : null;
    }
}
