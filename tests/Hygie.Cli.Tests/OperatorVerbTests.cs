using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Hygie.Testing;

namespace Hygie.Cli.Tests;

public sealed class OperatorVerbTests
{
    [Fact]
    public async Task Init_prints_the_operator_token_once_and_refuses_a_second_time()
    {
        using var dir = new TempDirectory();
        var data = dir.Combine("hub");
        var first = await CliRunner.RunAsync("init", "--data", data, "--json");
        Assert.Equal(0, first.ExitCode);
        var token = JsonDocument.Parse(first.Out).RootElement.GetProperty("operatorToken").GetString()!;
        Assert.StartsWith("hyg_", token);
        var before = DirectorySnapshot.Of(data);

        var second = await CliRunner.RunAsync("init", "--data", data);
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("already exists", second.Error);
        Assert.Single(second.Error.Trim().Split('\n'));
        Assert.Equal(before, DirectorySnapshot.Of(data));
    }

    [Fact]
    public async Task A_wrong_data_path_is_one_line_and_exit_1()
    {
        using var dir = new TempDirectory();
        var result = await CliRunner.RunAsync("keys", "list", "--data", dir.Combine("missing"));
        Assert.Equal(1, result.ExitCode);
        Assert.Matches("^hygie: no hub at .*missing.*hygie init", result.Error.Trim());
        Assert.False(Directory.Exists(dir.Combine("missing")));
    }

    [Fact]
    public async Task A_corrupted_keyring_is_reported_and_nothing_changes()
    {
        using var dir = new TempDirectory();
        var data = dir.Combine("hub");
        Assert.Equal(0, (await CliRunner.RunAsync("init", "--data", data)).ExitCode);
        await File.WriteAllTextAsync(Path.Combine(data, "keyring.json"), "{\"format\":\"hygie-keyring/1\",\"protection\":\"none\",\"payload\":\"AAAA\",\"digest\":\"AAAA\"}");
        var before = DirectorySnapshot.Of(data);
        var result = await CliRunner.RunAsync("keys", "list", "--data", data);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("corrupted", result.Error);
        Assert.Equal(before, DirectorySnapshot.Of(data));
    }

    [Fact]
    public async Task A_newer_schema_is_refused()
    {
        using var dir = new TempDirectory();
        var data = dir.Combine("hub");
        Assert.Equal(0, (await CliRunner.RunAsync("init", "--data", data)).ExitCode);
        await using (var store = new Storage.Metadata.SqliteMetadataStore(Path.Combine(data, "metadata.db")))
        await using (var c = await store.OpenConnectionAsync())
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "UPDATE schema_versions SET version = 42 WHERE module = 'storage.keys'";
            await cmd.ExecuteNonQueryAsync();
        }
        var result = await CliRunner.RunAsync("keys", "list", "--data", data);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("newer than this hygie knows", result.Error);
    }

    [Fact]
    public async Task Audit_export_then_verify_and_a_tampered_export_names_the_event()
    {
        using var dir = new TempDirectory();
        var data = dir.Combine("hub");
        Assert.Equal(0, (await CliRunner.RunAsync("init", "--data", data)).ExitCode);
        await using (var hub = await Storage.Hub.Hub.OpenAsync(data, new Storage.Hub.HubOpenOptions()))
            for (var i = 0; i < 20; i++)
                await hub.Audit.AppendAsync(new Core.Audit.AuditEntry("tester", "thing.done", $"t-{i}"));

        var export = dir.Combine("audit.jsonl");
        var exported = await CliRunner.RunAsync("audit", "export", "--data", data, "--out", export);
        Assert.Equal(0, exported.ExitCode);
        Assert.True(File.Exists(export + ".pub.pem"));

        var verified = await CliRunner.RunAsync("audit", "verify", export, "--public-key", export + ".pub.pem");
        Assert.Equal(0, verified.ExitCode);
        Assert.Contains("intact", verified.Out);

        var lines = await File.ReadAllLinesAsync(export);
        var i5 = Array.FindIndex(lines, l => l.Contains("\"seq\":5,") && l.Contains("\"type\":\"event\""));
        lines[i5] = lines[i5].Replace("thing.done", "thing.undone");
        await File.WriteAllLinesAsync(export, lines);
        var broken = await CliRunner.RunAsync("audit", "verify", export);
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("event 5", broken.Error);
    }

    [Fact]
    public async Task A_wrong_passphrase_is_refused()
    {
        using var dir = new TempDirectory();
        var data = dir.Combine("hub");
        await using (var _ = (await Storage.Hub.Hub.InitAsync(data, new Storage.Hub.HubOpenOptions { Passphrase = "right one" })).Hub) { }
        var e = await Assert.ThrowsAsync<Core.Errors.HubStateException>(() =>
            Storage.Hub.Hub.OpenAsync(data, new Storage.Hub.HubOpenOptions { Passphrase = "wrong one" }));
        Assert.Contains("wrong passphrase", e.Message);
    }

    [Fact]
    public async Task Serve_on_a_port_in_use_fails_in_one_line()
    {
        using var dir = new TempDirectory();
        var data = dir.Combine("hub");
        Assert.Equal(0, (await CliRunner.RunAsync("init", "--data", data)).ExitCode);
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        var result = await CliRunner.RunAsync("serve", "--data", data, "--urls", $"http://127.0.0.1:{port}");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("already in use", result.Error);
        Assert.Single(result.Error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Unknown_verbs_and_options_are_usage_errors()
    {
        Assert.Equal(2, (await CliRunner.RunAsync("frobnicate")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync("audit", "export")).ExitCode); // --out is required
    }

    [Fact]
    public async Task Status_talks_to_a_running_hub_with_the_token()
    {
        await using var server = await RunningServer.StartAsync();
        var ok = await CliRunner.RunAsync("status", "--server", server.BaseAddress.ToString(), "--token", server.Hub.OperatorToken, "--json");
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal(server.Hub.Hub.HubId, JsonDocument.Parse(ok.Out).RootElement.GetProperty("hubId").GetString());

        var refused = await CliRunner.RunAsync("status", "--server", server.BaseAddress.ToString(), "--token", "hyg_000000000000_x");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("401", refused.Error);
    }
}
