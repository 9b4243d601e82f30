using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Hygie.Storage.Hub;
using Hygie.Testing;

namespace Hygie.Cli.Tests;

public sealed class OperationsCliTests
{
    internal static readonly string[] Qualified = ["--provider", "OVHcloud", "--country", "FR", "--jurisdiction", "eu-only", "--qualification", "HDS", "--qualification", "SecNumCloud"];

    /// <summary>A hub made by 'hygie init' on qualified French infrastructure, with sealed objects written into it.</summary>
    internal static async Task<string> InitWithObjectsAsync(TempDirectory dir, int objects, int size = 4000)
    {
        var data = dir.Combine("hub");
        var init = await CliRunner.RunAsync(["init", "--data", data, .. Qualified]);
        Assert.True(init.ExitCode == 0, init.Error);
        await SealAsync(data, objects, size);
        return data;
    }

    internal static async Task SealAsync(string data, int objects, int size, string prefix = "part")
    {
        await using var hub = await Hub.OpenAsync(data, new HubOpenOptions { Passphrase = null });
        var key = await hub.Keys.GetOrCreateIdAsync("dataset", "ds1");
        for (var i = 0; i < objects; i++)
        {
            var bytes = RandomNumberGenerator.GetBytes(size);
            await hub.Sealed.WriteAsync($"datasets/ds1/{prefix}-{i:d5}.parquet", key, (s, ct) => s.WriteAsync(bytes, ct).AsTask());
        }
    }

    [Fact]
    public async Task Locations_are_declared_and_listed_and_a_secret_in_a_setting_is_refused_in_one_line()
    {
        using var dir = new TempDirectory();
        var data = await InitWithObjectsAsync(dir, 0);
        var added = await CliRunner.RunAsync(["locations", "add", "scw", "--kind", "backup", "--path", dir.Combine("scw"), "--data", data, .. Qualified, "--json"]);
        Assert.True(added.ExitCode == 0, added.Error);
        Assert.True(JsonDocument.Parse(added.Out).RootElement.GetProperty("mayHoldHubData").GetBoolean());

        var us = await CliRunner.RunAsync("locations", "add", "aws", "--kind", "backup", "--path", dir.Combine("aws"), "--provider", "AWS", "--country", "US", "--jurisdiction", "extra-eu", "--data", data);
        Assert.Equal(0, us.ExitCode);
        Assert.Contains("may NOT hold the hub's data", us.Out);

        var secret = await CliRunner.RunAsync("locations", "add", "pg", "--kind", "metadata", "--backend", "postgresql", "--setting", "password=hunter2", "--provider", "X", "--data", data);
        Assert.Equal(1, secret.ExitCode);
        Assert.Single(secret.Error.Trim().Split('\n'));
        Assert.Contains("password-env", secret.Error);
        Assert.DoesNotContain("hunter2", secret.Error);

        var list = await CliRunner.RunAsync("locations", "list", "--data", data, "--json");
        var names = JsonDocument.Parse(list.Out).RootElement.EnumerateArray().Select(l => l.GetProperty("name").GetString()).ToList();
        Assert.Equal(["aws", "local-metadata", "local-objects", "local-vault", "scw"], names);
    }

    [Fact]
    public async Task Backup_restore_and_verify_round_trip_and_verify_names_a_tampered_object()
    {
        using var dir = new TempDirectory();
        var data = await InitWithObjectsAsync(dir, 6);
        Assert.Equal(0, (await CliRunner.RunAsync(["locations", "add", "scw", "--kind", "backup", "--path", dir.Combine("scw"), "--data", data, .. Qualified])).ExitCode);

        var backup = await CliRunner.RunAsync("backup", "--to", "scw", "--data", data, "--json");
        Assert.True(backup.ExitCode == 0, backup.Error);
        var id = JsonDocument.Parse(backup.Out).RootElement.GetProperty("id").GetString()!;
        Assert.True(File.Exists(Path.Combine(dir.Combine("scw"), "backups", id, "manifest.json")));
        await SealAsync(data, 2, 1000, prefix: "late");
        var second = await CliRunner.RunAsync("backup", "--to", "scw", "--data", data);
        Assert.Contains("2 copied", second.Out);
        Assert.Contains("6 already held", second.Out);

        var restored = dir.Combine("restored");
        var restore = await CliRunner.RunAsync("restore", "--from", dir.Combine("scw"), "--data", restored, "--vault", Path.Combine(data, "keyring.json"));
        Assert.True(restore.ExitCode == 0, restore.Error);
        Assert.Contains("8 sealed objects", restore.Out);

        var verify = await CliRunner.RunAsync("verify", "--data", restored);
        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.Contains("8 sealed objects", verify.Out);
        Assert.Contains("audit chain intact", verify.Out);

        var victim = Path.Combine(restored, "objects", "datasets", "ds1", "part-00004.parquet");
        var bytes = await File.ReadAllBytesAsync(victim);
        bytes[100] ^= 0xff;
        await File.WriteAllBytesAsync(victim, bytes);
        var broken = await CliRunner.RunAsync("verify", "--data", restored);
        Assert.Equal(1, broken.ExitCode);
        Assert.Single(broken.Error.Trim().Split('\n'));
        Assert.Contains("datasets/ds1/part-00004.parquet", broken.Error);
    }

    [Fact]
    public async Task A_refused_backup_is_one_line_naming_the_rule_and_leaves_nothing_at_the_target()
    {
        using var dir = new TempDirectory();
        var data = await InitWithObjectsAsync(dir, 2);
        await CliRunner.RunAsync("locations", "add", "aws", "--kind", "backup", "--path", dir.Combine("aws"), "--provider", "AWS", "--country", "US", "--jurisdiction", "extra-eu", "--data", data);
        var result = await CliRunner.RunAsync("backup", "--to", "aws", "--data", data);
        Assert.Equal(1, result.ExitCode);
        Assert.Single(result.Error.Trim().Split('\n'));
        Assert.Contains("backup refused: location 'aws' may not hold 'snds' data — rule 'snds'", result.Error);
        Assert.False(Directory.Exists(dir.Combine("aws")));
    }

    [Fact]
    public async Task Restore_with_another_keyring_is_refused_and_creates_nothing()
    {
        using var dir = new TempDirectory();
        var data = await InitWithObjectsAsync(dir, 2);
        await CliRunner.RunAsync(["locations", "add", "scw", "--kind", "backup", "--path", dir.Combine("scw"), "--data", data, .. Qualified]);
        Assert.Equal(0, (await CliRunner.RunAsync("backup", "--to", "scw", "--data", data)).ExitCode);
        var other = dir.Combine("other");
        Assert.Equal(0, (await CliRunner.RunAsync("init", "--data", other)).ExitCode);

        var restored = dir.Combine("restored");
        var result = await CliRunner.RunAsync("restore", "--from", dir.Combine("scw"), "--data", restored, "--vault", Path.Combine(other, "keyring.json"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("which this vault", result.Error);
        Assert.Contains("does not hold", result.Error);
        Assert.False(Directory.Exists(restored));
    }

    [Fact]
    public async Task Keys_rotate_rewraps_the_data_keys_and_the_data_stays_readable()
    {
        using var dir = new TempDirectory();
        var data = await InitWithObjectsAsync(dir, 3);
        var rotate = await CliRunner.RunAsync("keys", "rotate", "--data", data, "--json");
        Assert.True(rotate.ExitCode == 0, rotate.Error);
        var root = JsonDocument.Parse(rotate.Out).RootElement.GetProperty("rootKeyId").GetString();
        var keys = await CliRunner.RunAsync("keys", "list", "--data", data, "--json");
        Assert.All(JsonDocument.Parse(keys.Out).RootElement.GetProperty("keys").EnumerateArray(), k => Assert.Equal(root, k.GetProperty("rootKeyId").GetString()));
        Assert.Equal(0, (await CliRunner.RunAsync("verify", "--data", data)).ExitCode);
    }

    [Fact]
    public async Task Migrate_status_and_finalize_through_the_cli()
    {
        using var dir = new TempDirectory();
        var data = await InitWithObjectsAsync(dir, 5);
        await CliRunner.RunAsync(["locations", "add", "ovh-objects", "--kind", "objects", "--path", dir.Combine("ovh-objects"), "--data", data, .. Qualified]);
        await CliRunner.RunAsync(["locations", "add", "ovh-metadata", "--kind", "metadata", "--path", dir.Combine("ovh.db"), "--data", data, .. Qualified]);

        var migrate = await CliRunner.RunAsync("migrate", "--to", "ovh-objects", "--metadata-to", "ovh-metadata", "--vault", dir.Combine("new-keyring.json"), "--data", data);
        Assert.True(migrate.ExitCode == 0, migrate.Error);
        Assert.Contains("5 objects copied", migrate.Out);
        Assert.Contains("switched", migrate.Out);
        var status = await CliRunner.RunAsync("migrate", "--status", "--data", data, "--json");
        Assert.Equal("switched", JsonDocument.Parse(status.Out).RootElement.GetProperty("record").GetProperty("state").GetString());
        Assert.Equal(0, (await CliRunner.RunAsync("verify", "--data", data)).ExitCode);

        var finalize = await CliRunner.RunAsync("migrate", "--finalize", "--data", data);
        Assert.True(finalize.ExitCode == 0, finalize.Error);
        Assert.Contains("'local-objects'", finalize.Out);
        Assert.False(File.Exists(Path.Combine(data, "keyring.json")));
        Assert.False(File.Exists(Path.Combine(data, "metadata.db")));
        Assert.Equal(0, (await CliRunner.RunAsync("verify", "--data", data)).ExitCode);

        var report = await CliRunner.RunAsync("compliance", "report", "--data", data, "--json");
        var locations = JsonDocument.Parse(report.Out).RootElement.GetProperty("locations").EnumerateArray().ToList();
        Assert.Contains(locations.Single(l => l.GetProperty("name").GetString() == "local-objects").GetProperty("holds").EnumerateArray(), h => h.GetString()!.Contains("erased"));
        Assert.Contains(locations.Single(l => l.GetProperty("name").GetString() == "ovh-objects").GetProperty("holds").EnumerateArray(), h => h.GetString()!.Contains("in use"));
    }

    [Fact]
    public async Task A_bad_migration_rate_is_refused_in_one_line_before_anything_is_copied()
    {
        using var dir = new TempDirectory();
        var data = await InitWithObjectsAsync(dir, 2);
        await CliRunner.RunAsync(["locations", "add", "ovh-objects", "--kind", "objects", "--path", dir.Combine("ovh-objects"), "--data", data, .. Qualified]);
        var refused = await CliRunner.RunAsync("migrate", "--to", "ovh-objects", "--max-rate", "fast", "--data", data);
        Assert.Equal(1, refused.ExitCode);
        Assert.Single(refused.Error.Trim().Split('\n'));
        Assert.Contains("--max-rate 'fast'", refused.Error);
        Assert.False(Directory.Exists(dir.Combine("ovh-objects")) && Directory.EnumerateFiles(dir.Combine("ovh-objects"), "*", SearchOption.AllDirectories).Any());
        Assert.Null(HubConfig.Load(data).Objects.Location);
    }

    [Fact]
    public async Task Policy_show_and_set_and_the_demo_policy_is_labelled_in_the_report()
    {
        using var dir = new TempDirectory();
        var data = await InitWithObjectsAsync(dir, 0);
        var show = await CliRunner.RunAsync("policy", "show", "--data", data);
        Assert.Contains("snds", show.Out);
        Assert.Contains("HDS + SecNumCloud, EU law only, in the EEA", show.Out);
        Assert.Equal(0, (await CliRunner.RunAsync("policy", "set", "--development", "--data", data)).ExitCode);
        var report = await CliRunner.RunAsync("compliance", "report", "--data", data);
        Assert.Contains("DEVELOPMENT POLICY", report.Out);
        Assert.Contains("Accesses from outside the EEA: none recorded", report.Out);
        Assert.Equal(2, (await CliRunner.RunAsync("policy", "set", "--data", data, "--nonsense")).ExitCode);
    }

    [Fact]
    public async Task The_transparency_page_is_public_and_shows_no_paths()
    {
        await using var server = await RunningServer.StartAsync();
        using var client = server.Client();
        var response = await client.GetAsync("/public/transparency");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(server.Hub.Hub.HubId, body.GetProperty("hubId").GetString());
        var locations = body.GetProperty("locations").EnumerateArray().ToList();
        Assert.Equal(3, locations.Count);
        Assert.All(locations, l => Assert.False(l.TryGetProperty("where", out var w) && w.ValueKind != JsonValueKind.Null));
        Assert.Equal("local-keyring", body.GetProperty("keyCustody").GetProperty("vaultKind").GetString());
        Assert.StartsWith("none recorded", body.GetProperty("accessesFromOutsideEea").GetProperty("summary").GetString());
        Assert.DoesNotContain(server.Hub.DataDirectory, await response.Content.ReadAsStringAsync());
    }
}

/// <summary>The operator verbs on a hub whose keys are in a PKCS#11 token (SoftHSM2): restore with the token, then move the keys out of it.</summary>
public sealed class TokenVaultCliTests
{
    [Fact]
    public async Task A_token_hub_is_restored_with_its_token_then_moved_to_a_keyring_and_its_audit_export_verifies_with_the_old_key()
    {
        using var dir = new TempDirectory();
        var label = $"cli-{ProductionParts.NewRun()}";
        var vault = new[] { "library=" + ProductionParts.Get(ProductionParts.Pkcs11Library), "token=" + ProductionParts.Get(ProductionParts.Pkcs11Token),
            "key-label=" + label, "pin-env=" + ProductionParts.Pkcs11Pin };
        var stores = dir.Combine("stores.json");
        await File.WriteAllTextAsync(stores, JsonSerializer.Serialize(new
        {
            vault = new { provider = "pkcs11", settings = vault.Select(v => v.Split('=', 2)).ToDictionary(p => p[0], p => p[1]) },
        }));
        var data = dir.Combine("hub");
        var init = await CliRunner.RunAsync(["init", "--data", data, "--stores", stores, .. OperationsCliTests.Qualified]);
        Assert.True(init.ExitCode == 0, init.Error);
        await OperationsCliTests.SealAsync(data, 4, 3000);

        // Restore needs the token the backup's key is wrapped in.
        Assert.Equal(0, (await CliRunner.RunAsync(["locations", "add", "bk", "--kind", "backup", "--path", dir.Combine("bk"), "--data", data, .. OperationsCliTests.Qualified])).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync("backup", "--to", "bk", "--data", data)).ExitCode);
        var restore = await CliRunner.RunAsync(["restore", "--from", dir.Combine("bk"), "--data", dir.Combine("restored"), "--vault-backend", "pkcs11",
            .. vault.SelectMany(v => new[] { "--vault-setting", v })]);
        Assert.True(restore.ExitCode == 0, restore.Error);
        Assert.Equal(0, (await CliRunner.RunAsync("verify", "--data", dir.Combine("restored"))).ExitCode);

        var before = dir.Combine("before.jsonl");
        Assert.Equal(0, (await CliRunner.RunAsync("audit", "export", "--out", before, "--data", data)).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync(["locations", "add", "new-objects", "--kind", "objects", "--path", dir.Combine("new-objects"), "--data", data, .. OperationsCliTests.Qualified])).ExitCode);
        var migrate = await CliRunner.RunAsync("migrate", "--to", "new-objects", "--vault", dir.Combine("keyring.json"), "--data", data);
        Assert.True(migrate.ExitCode == 0, migrate.Error);
        var finalize = await CliRunner.RunAsync("migrate", "--finalize", "--data", data);
        Assert.True(finalize.ExitCode == 0, finalize.Error);
        Assert.Contains("3 key object(s) destroyed in the old vault", finalize.Out);

        // The token's audit key could not move: the chain was handed over, and verifies with the key trusted before.
        var after = dir.Combine("after.jsonl");
        Assert.Equal(0, (await CliRunner.RunAsync("audit", "export", "--out", after, "--data", data)).ExitCode);
        Assert.Contains("audit.key.transition", await File.ReadAllTextAsync(after));
        var verify = await CliRunner.RunAsync("audit", "verify", after, "--public-key", before + ".pub.pem");
        Assert.True(verify.ExitCode == 0, verify.Error + verify.Out);
        Assert.Contains("handed over to it from an earlier audit key 1 time(s)", verify.Out);
        Assert.Equal(0, (await CliRunner.RunAsync("verify", "--data", data)).ExitCode);
    }
}
