using Hygie.Storage.Hub;
using Hygie.Testing;

namespace Hygie.Cli.Tests;

/// <summary>The real <c>hygie migrate</c> in a child process, killed with SIGKILL mid-copy, then resumed.</summary>
public sealed class MigrateKillTests
{
    private const int Objects = 200;

    // 200 objects of 64 kB at 2 MiB/s take about 6 s: the kill points (30 and 100 copied) are reached well before the end
    // whatever the speed of the disk, and the limit is the product's own (an operator sparing a shared link).
    private const string Rate = "2MiB";

    private static IEnumerable<string> Copied(string target) => Directory.Exists(target)
        ? Directory.EnumerateFiles(target, "*.parquet", SearchOption.AllDirectories)
        : [];

    [Fact]
    public async Task Migrate_killed_twice_mid_copy_resumes_without_rewriting_what_it_copied_and_the_hub_works_meanwhile()
    {
        if (OperatingSystem.IsWindows()) return; // SIGKILL and file modes: POSIX
        using var dir = new TempDirectory();
        var data = await OperationsCliTests.InitWithObjectsAsync(dir, Objects, size: 64_000);
        var target = dir.Combine("ovh-objects");
        await CliRunner.RunAsync(["locations", "add", "ovh-objects", "--kind", "objects", "--path", target, "--data", data, .. OperationsCliTests.Qualified]);
        await CliRunner.RunAsync(["locations", "add", "ovh-metadata", "--kind", "metadata", "--path", dir.Combine("ovh.db"), "--data", data, .. OperationsCliTests.Qualified]);

        // What is at the target after a crash is marked with a file mode no copy would give it: a rewrite (a new file
        // renamed over it) would lose the mark.
        const UnixFileMode mark = UnixFileMode.UserRead | UnixFileMode.GroupRead;
        var kept = new List<string>();
        var kills = 0;
        foreach (var threshold in new[] { 30, 100 })
        {
            using var child = HygieProcess.Start("migrate", "--to", "ovh-objects", "--metadata-to", "ovh-metadata", "--vault", dir.Combine("new-keyring.json"),
                "--max-rate", Rate, "--data", data);
            Assert.True(await child.WaitUntilAsync(() => Copied(target).Count() >= threshold, TimeSpan.FromSeconds(60)), child.Error);
            Assert.False(child.HasExited, "the migration ended before its kill point: the rate limit was not applied");
            child.KillNow();
            Assert.Null(HubConfig.Load(data).Objects.Location);
            kills++;

            // After the crash: still on the old stores, every object readable, and the hub takes new writes.
            Assert.Equal(0, (await CliRunner.RunAsync("verify", "--data", data)).ExitCode);
            await OperationsCliTests.SealAsync(data, 1, 2000, prefix: $"during-{threshold}");

            // What is at the target now must never be written again.
            foreach (var file in Copied(target))
            {
                File.SetUnixFileMode(file, mark);
                kept.Add(file);
            }
        }
        var done = await CliRunner.RunAsync("migrate", "--data", data);
        Assert.True(done.ExitCode == 0, done.Error);
        Assert.Contains("(resumed)", done.Out);
        Assert.Contains("switched", done.Out);
        Assert.Equal("ovh-objects", HubConfig.Load(data).Objects.Location);
        Assert.NotEmpty(kept);
        foreach (var file in kept)
            Assert.True(File.GetUnixFileMode(file) == mark, $"{file} was copied again after the crash");
        Assert.Equal(Objects + kills, Copied(target).Count());

        var verify = await CliRunner.RunAsync("verify", "--data", data);
        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.Contains($"{Objects + kills} sealed objects", verify.Out);
    }

    [Fact]
    public async Task The_switch_waits_for_a_running_server_to_stop_and_keeps_what_it_copied()
    {
        using var dir = new TempDirectory();
        var data = await OperationsCliTests.InitWithObjectsAsync(dir, 5);
        await CliRunner.RunAsync(["locations", "add", "ovh-objects", "--kind", "objects", "--path", dir.Combine("ovh-objects"), "--data", data, .. OperationsCliTests.Qualified]);
        using (var server = HygieProcess.Start("serve", "--data", data, "--urls", "http://127.0.0.1:0"))
        {
            Assert.True(await server.WaitUntilAsync(() => server.Out.Contains("listening"), TimeSpan.FromSeconds(60)), server.Error);
            var refused = await CliRunner.RunAsync("migrate", "--to", "ovh-objects", "--data", data);
            Assert.Equal(1, refused.ExitCode);
            Assert.Single(refused.Error.Trim().Split('\n'));
            Assert.Contains($"hygie serve, pid {server.Id}", refused.Error);
            Assert.Contains("objects copied so far are kept", refused.Error);
            Assert.Null(HubConfig.Load(data).Objects.Location);
        }
        var done = await CliRunner.RunAsync("migrate", "--data", data);
        Assert.True(done.ExitCode == 0, done.Error);
        Assert.Contains("0 objects copied", done.Out);
        Assert.Contains("5 already there re-checked", done.Out);
        Assert.Equal("ovh-objects", HubConfig.Load(data).Objects.Location);
    }
}
