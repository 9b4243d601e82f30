using System.Diagnostics;
using System.Security.Cryptography;
using Hygie.Storage.Hub;
using Hygie.Storage.Locations;
using Hygie.Storage.Operations;
using Hygie.Storage.Operations.Relocation;

namespace Hygie.Bench;

/// <summary>
/// A whole migration of a hub's sealed objects between two local directories — placement check, copy, every object
/// read back and compared with its source, progress recorded, switch, audit — against a plain copy of the same files
/// in the same run (File.Copy and an fsync of each file, as durable as the object store's writes, with the same
/// parallelism). Rounds alternate baseline and migration (the hub moves on each round); the best round of each counts,
/// which keeps a shared, noisy machine from deciding the ratio.
/// </summary>
public static class MigrateBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var objects = args.Length > 0 ? int.Parse(args[0]) : 2000;
        var size = (args.Length > 1 ? int.Parse(args[1]) : 256) * 1024;
        var rounds = args.Length > 2 ? int.Parse(args[2]) : 3;
        var parallelism = new OperationOptions().Parallelism;
        var root = Path.Combine(Path.GetTempPath(), $"hygie-bench-migrate-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            var data = Path.Combine(root, "hub");
            var site = new HubSite("bench", "FR", DeclaredLocation.EuOnly, ["HDS", "SecNumCloud"]);
            var options = new HubOpenOptions { Site = site, Passphrase = null };
            var (hub, _) = await Hub.InitAsync(data, options);
            long total = 0;
            await using (hub)
            {
                var key = await hub.Keys.GetOrCreateIdAsync("dataset", "bench");
                var plain = RandomNumberGenerator.GetBytes(size);
                for (var i = 0; i < objects; i++)
                {
                    plain[0] = (byte)i; plain[1] = (byte)(i >> 8);
                    var info = await hub.Sealed.WriteAsync($"datasets/bench/part-{i:d6}.parquet", key, (s, ct) => s.WriteAsync(plain, ct).AsTask());
                    total += info.CiphertextLength;
                }
            }
            var mib = total / (double)(1 << 20);
            Console.WriteLine($"migrate: {objects} sealed objects, {mib:F0} MiB, parallelism {parallelism}, best of {rounds} rounds");

            double bestCopy = double.MaxValue, bestMigrate = double.MaxValue;
            var source = Path.Combine(data, "objects");
            for (var round = 1; round <= rounds; round++)
            {
                // Baseline: a plain copy of the same files, each flushed to disk.
                var files = Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories).ToList();
                var plainTarget = Path.Combine(root, $"plain-{round}");
                var sw = Stopwatch.StartNew();
                await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, (file, _) =>
                {
                    var to = Path.Combine(plainTarget, Path.GetRelativePath(source, file));
                    Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                    File.Copy(file, to);
                    using (var f = new FileStream(to, FileMode.Open, FileAccess.ReadWrite)) f.Flush(flushToDisk: true);
                    return ValueTask.CompletedTask;
                });
                var copySeconds = sw.Elapsed.TotalSeconds;
                Directory.Delete(plainTarget, recursive: true);

                // Ours: the real migration, from the operator's command to the switch.
                var targetName = $"bench-target-{round}";
                var target = Path.Combine(root, targetName);
                await using (var h = await Hub.OpenAsync(data, options))
                    await h.Locations.DeclareAsync(new DeclaredLocation(targetName, LocationKinds.Objects, "bench", "files", "FR", DeclaredLocation.EuOnly,
                        ["HDS", "SecNumCloud"], new Dictionary<string, string> { ["path"] = target }, null, default), "bench");
                MigrationResult result;
                sw.Restart();
                await using (var h = await Hub.OpenAsync(data, options))
                    result = await HubMigration.RunAsync(h, new MigrationRequest
                    {
                        ObjectsTo = targetName,
                        OpenOptions = options,
                        Options = new OperationOptions { Parallelism = parallelism },
                    });
                var migrateSeconds = sw.Elapsed.TotalSeconds;
                if (result.Copied != objects || !result.Switched)
                {
                    Console.WriteLine($"migrate: copied {result.Copied} of {objects}, switched {result.Switched}: FAILED");
                    return 1;
                }
                Console.WriteLine($"  round {round}: plain copy {copySeconds:F2} s, migration {migrateSeconds:F2} s");
                bestCopy = Math.Min(bestCopy, copySeconds);
                bestMigrate = Math.Min(bestMigrate, migrateSeconds);

                // Not timed: erase the old copy so the next round starts from the new location with the disk as it was.
                await using (var h = await Hub.OpenAsync(data, options))
                    await HubMigration.FinalizeAsync(h);
                source = target;
            }

            var ok = Report.Ratio("migrate objects/s", objects / bestMigrate, objects / bestCopy, "objects/s", 0.8)
                   & Report.Ratio("migrate throughput", mib / bestMigrate, mib / bestCopy, "MiB/s", 0.8);
            return ok ? 0 : 1;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }
}
