using System.CommandLine;
using System.Security.Cryptography;
using Hygie.Core.Audit;
using Hygie.Storage.Audit;

namespace Hygie.Cli.Commands;

public static class AuditCommands
{
    public static Command Create(GlobalOptions g, CliConsole console)
    {
        var audit = new Command("audit", "export and verify the tamper-evident audit log");
        audit.Subcommands.Add(Export(g, console));
        audit.Subcommands.Add(Verify(g, console));
        return audit;
    }

    private static Command Export(GlobalOptions g, CliConsole console)
    {
        var output = new Option<string>("--out") { Description = "file to write (JSON Lines); the public key goes to FILE.pub.pem", Required = true };
        var command = new Command("export", "write the whole audit log and its public key, for offline verification") { output };
        command.SetHandler(console, async (parse, ct) =>
        {
            var path = Path.GetFullPath(parse.GetValue(output)!);
            var directory = Path.GetDirectoryName(path)!;
            if (!Directory.Exists(directory)) return console.Fail($"cannot write {path}: the directory {directory} does not exist");
            await using var hub = await HubAccess.OpenAsync(parse, g, ct);
            var temp = path + ".partial";
            AuditExportSummary summary;
            await using (var file = File.Create(temp))
            {
                summary = await hub.Audit.ExportAsync(file, ct);
                file.Flush(true);
            }
            File.Move(temp, path, overwrite: true);
            var pem = PemEncoding.WriteString("PUBLIC KEY", hub.Vault.SigningPublicKey);
            await File.WriteAllTextAsync(path + ".pub.pem", pem + "\n", ct);
            if (parse.GetValue(g.Json))
                console.WriteJson(new { file = path, publicKey = path + ".pub.pem", events = summary.Events, checkpoints = summary.Checkpoints, lastHash = summary.LastHash, keyFingerprint = summary.SigningKeyFingerprint });
            else
                console.Line($"Exported {summary.Events} events and {summary.Checkpoints} checkpoints to {path} (signing key {summary.SigningKeyFingerprint}; public key in {path}.pub.pem)");
            return HygieCli.Ok;
        });
        return command;
    }

    private static Command Verify(GlobalOptions g, CliConsole console)
    {
        var file = new Argument<string>("file") { Description = "an audit export (JSON Lines)" };
        var key = new Option<string?>("--public-key") { Description = "PEM public key you trust (recommended: the export's own key proves integrity, not origin)" };
        var command = new Command("verify", "verify an audit export offline; exit 0 when intact, 1 naming the first broken event") { file, key };
        command.SetHandler(console, (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path)) return Task.FromResult(console.Fail($"no such file: {path}"));
            byte[]? trusted = null;
            if (parse.GetValue(key) is { } keyPath)
            {
                if (!File.Exists(keyPath)) return Task.FromResult(console.Fail($"no such file: {keyPath}"));
                try
                {
                    using var ecdsa = ECDsa.Create();
                    ecdsa.ImportFromPem(File.ReadAllText(keyPath));
                    trusted = ecdsa.ExportSubjectPublicKeyInfo();
                }
                catch (Exception e) when (e is ArgumentException or CryptographicException)
                {
                    return Task.FromResult(console.Fail($"{keyPath} is not a PEM EC public key"));
                }
            }
            AuditVerification result;
            using (var stream = File.OpenRead(path)) result = AuditExportVerifier.Verify(stream, trusted);
            if (parse.GetValue(g.Json)) console.WriteJson(result);
            if (!result.Intact) return Task.FromResult(console.Fail($"{path}: {result.Problem}"));
            if (!parse.GetValue(g.Json))
                console.Line($"{path}: intact — {result.Events} events, {result.Checkpoints} signed checkpoints, last event {result.LastSeq}, signed by {result.KeyFingerprint}" +
                             (result.KeyTransitions > 0 ? $" (the chain was handed over to it from an earlier audit key {result.KeyTransitions} time(s), each hand-over endorsed by the key before)" : ""));
            return Task.FromResult(HygieCli.Ok);
        });
        return command;
    }
}
