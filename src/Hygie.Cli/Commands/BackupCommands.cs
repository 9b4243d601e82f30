using System.CommandLine;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;
using Hygie.Storage.Operations;
using Hygie.Storage.Operations.Backup;

namespace Hygie.Cli.Commands;

public static class BackupCommands
{
    public static Command Backup(GlobalOptions g, CliConsole console)
    {
        var to = new Option<string>("--to") { Description = "the declared backup location (see 'hygie locations add NAME --kind backup …')", Required = true };
        var command = new Command("backup", "an encrypted, consistent, incremental backup of the whole hub to a declared backup location") { to };
        command.SetHandler(console, async (parse, ct) =>
        {
            var json = parse.GetValue(g.Json);
            await using var hub = await HubAccess.OpenAsync(parse, g, ct);
            var result = await HubBackup.RunAsync(hub, parse.GetValue(to)!, new OperationOptions { Progress = CliProgress.For(console, json) }, ct);
            if (json) { console.WriteJson(result); return HygieCli.Ok; }
            console.Line($"Backup {result.Id} written to location '{result.Location}' ({result.ManifestPath})");
            console.Line($"  {result.Tables} tables ({result.Rows} rows), {result.Stats.Objects} sealed objects ({CliProgress.Size(result.Stats.ObjectBytes)}): " +
                         $"{result.Stats.ObjectsCopied} copied ({CliProgress.Size(result.Stats.BytesCopied)}), {result.Stats.Objects - result.Stats.ObjectsCopied} already held" +
                         (result.Previous is null ? "" : $" by backup {result.Previous}"));
            console.Line($"  Merkle root {result.MerkleRoot}; manifest signed with the hub's audit key");
            return HygieCli.Ok;
        });
        return command;
    }

    public static Command Restore(GlobalOptions g, CliConsole console)
    {
        var from = new Option<string>("--from") { Description = "the backup location: its directory (files), or with --backend and --setting for other stores", Required = true };
        var backend = new Option<string>("--backend") { Description = "the backup store's backend", DefaultValueFactory = _ => "files" };
        var settings = new Option<string[]>("--setting") { Description = "a backend setting key=value", Arity = ArgumentArity.ZeroOrMore };
        var backup = new Option<string?>("--backup") { Description = "the backup id (default: the newest)" };
        var vault = new Option<string?>("--vault") { Description = "the keyring the backup was made with (copied into the new hub)" };
        var vaultBackend = new Option<string?>("--vault-backend") { Description = "pkcs11: the backup's keys are in a token (give --vault-setting library=… token=… key-label=… pin-env=VAR)" };
        var vaultSettings = new Option<string[]>("--vault-setting") { Description = "a setting of the token vault key=value", Arity = ArgumentArity.ZeroOrMore };
        var stores = new Option<string?>("--stores") { Description = "JSON file (as for init) putting the restored metadata and objects in empty production stores (PostgreSQL, S3)" };
        var site = new SiteOptions();
        var command = new Command("restore", "rebuild a hub from a backup into a new --data directory, after checking the whole backup") { from, backend, settings, backup, vault, vaultBackend, vaultSettings, stores };
        site.AddTo(command);
        command.SetHandler(console, async (parse, ct) =>
        {
            var json = parse.GetValue(g.Json);
            var map = new Dictionary<string, string>();
            foreach (var s in parse.GetValue(settings) ?? [])
            {
                var i = s.IndexOf('=');
                if (i <= 0) return console.Fail($"--setting '{s}' is not key=value");
                map[s[..i].Trim()] = s[(i + 1)..].Trim();
            }
            var source = parse.GetValue(from)!;
            var b = parse.GetValue(backend)!;
            if (b == "files")
            {
                source = Path.GetFullPath(source);
                if (!Directory.Exists(source)) return console.Fail($"no backup location at {source}: the directory does not exist");
            }
            StoreConfig vaultConfig;
            if (parse.GetValue(vaultBackend) is { } vb && vb != "local-keyring")
            {
                if (parse.GetValue(vault) is not null) return console.Fail("give either --vault KEYRING or --vault-backend with --vault-setting, not both");
                var vaultMap = new Dictionary<string, string>();
                foreach (var s in parse.GetValue(vaultSettings) ?? [])
                {
                    var i = s.IndexOf('=');
                    if (i <= 0) return console.Fail($"--vault-setting '{s}' is not key=value");
                    vaultMap[s[..i].Trim()] = s[(i + 1)..].Trim();
                }
                Storage.Locations.DeclaredLocation.CheckSettings(vaultMap);
                vaultConfig = new StoreConfig { Provider = vb, Settings = vaultMap };
            }
            else
            {
                if (parse.GetValue(vault) is not { } keyring) return console.Fail("--vault KEYRING (or --vault-backend pkcs11 with --vault-setting) is required: the vault the backup was made with");
                var vaultPath = Path.GetFullPath(keyring);
                if (!File.Exists(vaultPath)) return console.Fail($"no keyring at {vaultPath}");
                vaultConfig = RestoreRequest.Keyring(vaultPath);
            }
            var store = StoreFactory.OpenObjects(Environment.CurrentDirectory, new StoreConfig { Provider = b, Path = b == "files" ? source : null, Settings = map.Count == 0 ? null : map });
            var result = await HubRestore.RunAsync(new RestoreRequest
            {
                Source = store,
                SourceName = source,
                DataDirectory = parse.GetValue(g.Data)!,
                Vault = vaultConfig,
                Stores = parse.GetValue(stores) is { } file ? InitCommand.ReadStores(file) : null,
                BackupId = parse.GetValue(backup),
                Site = site.Read(parse),
                Migrations = HubModules.Migrations,
                Options = new OperationOptions { Progress = CliProgress.For(console, json) },
            }, ct);
            if (json) { console.WriteJson(result); return HygieCli.Ok; }
            console.Line($"Restored hub {result.HubId} from backup {result.BackupId} into {result.DataDirectory}");
            console.Line($"  {result.Tables} tables ({result.Rows} rows), {result.Objects} sealed objects ({CliProgress.Size(result.Bytes)}), audit chain up to event {result.AuditEvents}");
            console.Line($"  every entry matched the signed manifest; run 'hygie verify --data {result.DataDirectory}' to unseal every object and check the audit chain");
            return HygieCli.Ok;
        });
        return command;
    }

    public static Command Verify(GlobalOptions g, CliConsole console)
    {
        var command = new Command("verify", "prove the hub whole: every data key unwraps, every sealed object unseals, the audit chain verifies; exit 1 naming the first failure");
        command.SetHandler(console, async (parse, ct) =>
        {
            var json = parse.GetValue(g.Json);
            await using var hub = await HubAccess.OpenAsync(parse, g, ct);
            var result = await HubVerifier.RunAsync(hub, new OperationOptions { Progress = CliProgress.For(console, json) }, ct);
            if (json) console.WriteJson(result);
            if (!result.Intact) return console.Fail($"hub {hub.HubId}: {result.Failure}");
            if (!json)
                console.Line($"Hub {hub.HubId} verified: {result.LiveKeys} data keys unwrap, {result.Objects} sealed objects ({CliProgress.Size(result.Bytes)}) unseal and authenticate" +
                             (result.ShreddedObjects > 0 ? $", {result.ShreddedObjects} crypto-shredded" : "") +
                             (result.RestoredObjectsChecked > 0 ? $", {result.RestoredObjectsChecked} match the restored backup's manifest" : "") +
                             $"; audit chain intact ({result.AuditEvents} events, {result.AuditCheckpoints} signed checkpoints, key {result.AuditKeyFingerprint})");
            return HygieCli.Ok;
        });
        return command;
    }
}
