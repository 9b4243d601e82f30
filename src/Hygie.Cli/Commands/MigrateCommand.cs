using System.CommandLine;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;
using Hygie.Storage.Operations;
using Hygie.Storage.Operations.Relocation;

namespace Hygie.Cli.Commands;

public static class MigrateCommand
{
    public static Command Create(GlobalOptions g, CliConsole console)
    {
        var to = new Option<string?>("--to") { Description = "the declared objects location the sealed objects move to (omit to resume the migration in progress)" };
        var metadataTo = new Option<string?>("--metadata-to") { Description = "the declared metadata location the metadata moves to" };
        var vault = new Option<string?>("--vault") { Description = "a new keyring path (created, with a new root key) or a declared vault location (local-keyring or pkcs11 token): data keys are re-wrapped under its new root key" };
        var noSwitch = new Option<bool>("--no-switch") { Description = "copy and verify only; switch later with 'hygie migrate'" };
        var finalize = new Option<bool>("--finalize") { Description = "after the switch: erase the old copy (objects, metadata) and crypto-erase the old vault (keyring file destroyed, token keys destroyed), and record it" };
        var status = new Option<bool>("--status") { Description = "where the last migration stands" };
        var abort = new Option<bool>("--abort") { Description = "abandon the migration in progress (before its switch) and remove its copies" };
        var maxRate = new Option<string?>("--max-rate") { Description = "bandwidth limit for the copies, per second: 500KiB, 40MiB, 1GiB (default: none)" };
        var command = new Command("migrate", "move the whole hub to other locations, resumably; the hub stays usable on the old ones until the switch")
        {
            to, metadataTo, vault, noSwitch, finalize, status, abort, maxRate,
        };
        command.SetHandler(console, async (parse, ct) =>
        {
            var json = parse.GetValue(g.Json);
            var modes = new[] { parse.GetValue(finalize), parse.GetValue(status), parse.GetValue(abort) }.Count(x => x);
            if (modes > 1) return console.Fail("give at most one of --finalize, --status and --abort");
            var options = new OperationOptions { Progress = CliProgress.For(console, json) };

            if (parse.GetValue(status))
            {
                await using var hub = await HubAccess.OpenAsync(parse, g, ct);
                var s = await HubMigration.StatusAsync(hub, ct);
                if (json) { console.WriteJson(s); return HygieCli.Ok; }
                if (s is null) { console.Line("No migration has been started on this hub."); return HygieCli.Ok; }
                var r = s.Record;
                console.Line($"Migration {r.Id}: {r.State}");
                console.Line($"  objects → '{r.ObjectsTo}'{(r.MetadataTo is null ? "" : $", metadata → '{r.MetadataTo}'")}{(r.VaultTo is null ? "" : $", keys → '{r.VaultTo}'")}");
                console.Line($"  {s.ObjectsVerified} objects verified at the target ({CliProgress.Size(s.BytesVerified)}); started {r.StartedAt:u}" +
                             (r.SwitchedAt is null ? "" : $", switched {r.SwitchedAt:u}") + (r.FinalizedAt is null ? "" : $", finalized {r.FinalizedAt:u}"));
                console.Line(r.State switch
                {
                    "copying" or "copied" => "  next: 'hygie migrate' to resume and switch, or 'hygie migrate --abort'",
                    "switched" => "  next: check the hub ('hygie verify'), then 'hygie migrate --finalize' to erase the old copy",
                    _ => "",
                });
                return HygieCli.Ok;
            }
            if (parse.GetValue(finalize))
            {
                await using var hub = await HubAccess.OpenAsync(parse, g, ct);
                var f = await HubMigration.FinalizeAsync(hub, options, ct);
                if (json) { console.WriteJson(f); return HygieCli.Ok; }
                console.Line($"Migration {f.Id} finalized: erased {string.Join(", ", f.Erased.Select(e => $"'{e}'"))} ({f.ObjectsDeleted} old objects deleted" +
                             (f.VaultObjectsDestroyed > 0 ? $", {f.VaultObjectsDestroyed} key object(s) destroyed in the old vault" : "") + ")");
                foreach (var note in f.Notes) console.Line($"  note: {note}");
                return HygieCli.Ok;
            }
            if (parse.GetValue(abort))
            {
                await using var hub = await HubAccess.OpenAsync(parse, g, ct);
                var id = await HubMigration.AbortAsync(hub, options, ct);
                if (json) { console.WriteJson(new { aborted = id }); return HygieCli.Ok; }
                console.Line($"Migration {id} aborted: its copies were removed; the hub never left its locations");
                return HygieCli.Ok;
            }

            var rate = parse.GetValue(maxRate) is { } text ? ParseRate(text) : (long?)null;
            MigrationResult result;
            await using (var hub = await HubAccess.OpenAsync(parse, g, ct))
                result = await HubMigration.RunAsync(hub, new MigrationRequest
                {
                    ObjectsTo = parse.GetValue(to),
                    MetadataTo = parse.GetValue(metadataTo),
                    Vault = parse.GetValue(vault),
                    Switch = !parse.GetValue(noSwitch),
                    MaxBytesPerSecond = rate,
                    OpenOptions = new HubOpenOptions { Migrations = HubModules.Migrations },
                    Options = options,
                }, ct);
            if (json) { console.WriteJson(result with { CopiedKeys = [] }); return HygieCli.Ok; }
            console.Line($"Migration {result.Id}{(result.Resumed ? " (resumed)" : "")}: {result.Copied} objects copied ({CliProgress.Size(result.BytesCopied)}) and verified at '{result.ObjectsTo}'" +
                         (result.Rechecked + result.Recognized > 0 ? $", {result.Rechecked + result.Recognized} already there re-checked" : "") +
                         (result.RemovedAtTarget > 0 ? $", {result.RemovedAtTarget} deleted since removed at the target" : ""));
            console.Line(result.Switched
                ? $"  switched: the hub now uses '{result.ObjectsTo}'{(result.MetadataTo is null ? "" : $" and '{result.MetadataTo}'")}{(result.VaultTo is null ? "" : $" with keys in '{result.VaultTo}'")}; " +
                  "check it ('hygie verify'), then erase the old copy with 'hygie migrate --finalize'"
                : "  copied, not switched: run 'hygie migrate' to switch");
            return HygieCli.Ok;
        });
        return command;
    }

    /// <summary>A byte rate such as <c>40MiB</c>, <c>500KiB</c>, <c>1GiB</c> or a plain number of bytes.</summary>
    internal static long ParseRate(string text)
    {
        var t = text.Trim();
        var units = new (string Suffix, long Factor)[] { ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10), ("B", 1) };
        foreach (var (suffix, factor) in units)
        {
            if (!t.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) continue;
            t = t[..^suffix.Length].Trim();
            return Positive(t, factor, text);
        }
        return Positive(t, 1, text);

        static long Positive(string number, long factor, string original) =>
            double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 && n * factor < long.MaxValue
                ? (long)(n * factor)
                : throw new CliException($"--max-rate '{original}' is not a positive rate such as 500KiB, 40MiB or 1GiB");
    }
}
