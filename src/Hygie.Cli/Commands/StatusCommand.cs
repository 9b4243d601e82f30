using System.CommandLine;
using Hygie.Server.Endpoints;

namespace Hygie.Cli.Commands;

public static class StatusCommand
{
    public static Command Create(GlobalOptions g, CliConsole console)
    {
        var command = new Command("status", "the running hub's stores, vault and audit chain");
        command.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var status = await client.GetAsync<HubStatus>("/api/status", ct);
            if (parse.GetValue(g.Json)) { console.WriteJson(status); return HygieCli.Ok; }
            console.Table(["", "value"],
            [
                ["hub", status.HubId],
                ["metadata", $"{status.Metadata.Provider} {status.Metadata.Location}"],
                ["objects", $"{status.Objects.Provider} {status.Objects.Location}"],
                ["vault", $"{status.Vault.Kind} {status.Vault.Location} (root {status.Vault.RootKeyId})"],
                ["audit signing key", status.Vault.SigningKeyFingerprint],
                ["audit events", status.Audit.Events.ToString()],
                ["last checkpoint", status.Audit.LastCheckpoint is null ? "none" : $"event {status.Audit.LastCheckpoint} at {status.Audit.LastCheckpointTime:u}"],
            ]);
            return HygieCli.Ok;
        });
        return command;
    }
}
