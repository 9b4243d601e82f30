using System.CommandLine;
using Hygie.Core.Audit;

namespace Hygie.Cli.Commands;

public static class KeysCommands
{
    public static Command Create(GlobalOptions g, CliConsole console)
    {
        var keys = new Command("keys", "the key hierarchy: vault keys and the keys they wrap");
        var list = new Command("list", "list the vault's keys and the wrapped data keys (never their material)");
        list.SetHandler(console, async (parse, ct) =>
        {
            await using var hub = await HubAccess.OpenAsync(parse, g, ct);
            var vault = hub.Vault.ListKeys();
            var wrapped = await hub.Keys.ListAsync(ct);
            if (parse.GetValue(g.Json))
            {
                console.WriteJson(new { vault = new { kind = hub.Vault.Kind, location = hub.Vault.Location, keys = vault, signingKeyFingerprint = AuditChain.Fingerprint(hub.Vault.SigningPublicKey) }, keys = wrapped });
                return HygieCli.Ok;
            }
            console.Line($"Vault: {hub.Vault.Kind} at {hub.Vault.Location}");
            console.Table(["id", "purpose", "algorithm", "created", "state"],
                vault.Select(k => new[] { k.Id, k.Purpose, k.Algorithm, k.Created.ToString("u"), k.Current ? "current" : "retired" }));
            console.Table(["id", "purpose", "owner", "wrapped by", "created", "state"],
                wrapped.Select(k => new[] { k.Id, k.Purpose, k.Owner, k.RootKeyId, k.Created.ToString("u"), k.Destroyed is null ? "live" : $"destroyed {k.Destroyed:u}" }));
            return HygieCli.Ok;
        });
        keys.Subcommands.Add(list);

        var rotate = new Command("rotate", "create a new root key in the vault and re-wrap every data key under it (no data rewritten)");
        rotate.SetHandler(console, async (parse, ct) =>
        {
            await using var hub = await HubAccess.OpenAsync(parse, g, ct);
            var result = await Storage.Operations.KeyRotation.RunAsync(hub, ct: ct);
            if (parse.GetValue(g.Json)) { console.WriteJson(result); return HygieCli.Ok; }
            console.Line($"New root key {result.RootKeyId} (was {result.PreviousRootKeyId}): {result.Rewrapped} data keys re-wrapped; no data rewritten");
            console.Line($"  the retired root key stays in the vault, so backups made before today can still be restored");
            return HygieCli.Ok;
        });
        keys.Subcommands.Add(rotate);
        return keys;
    }
}
