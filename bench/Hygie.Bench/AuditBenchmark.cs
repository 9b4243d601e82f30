using System.Diagnostics;
using System.Security.Cryptography;
using Hygie.Core.Audit;
using Hygie.Storage.Hub;
using Hygie.Storage.Metadata;

namespace Hygie.Bench;

/// <summary>
/// Audit appends per second through the real group-committed path, against plain batched SQLite inserts of the same
/// rows (no hashing, no chain); then the offline verification of a 1,000,000-event export against hashing its bytes.
/// </summary>
public static class AuditBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var appends = args.Length > 0 ? int.Parse(args[0]) : 200_000;
        var exported = args.Length > 1 ? int.Parse(args[1]) : 1_000_000;
        var dir = Path.Combine(Path.GetTempPath(), $"hygie-bench-audit-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var (hub, _) = await Hub.InitAsync(Path.Combine(dir, "hub"), new HubOpenOptions());
            await using (hub)
            {
                // Ours: 256 concurrent callers, each awaiting its durable append (group commit).
                var sw = Stopwatch.StartNew();
                var next = 0;
                await Task.WhenAll(Enumerable.Range(0, 256).Select(async _ =>
                {
                    while (Interlocked.Increment(ref next) <= appends)
                        await hub.Audit.AppendAsync(Entry(next));
                }));
                var ours = appends / sw.Elapsed.TotalSeconds;

                // Baseline: the same number of rows into a plain table, in transactions of the same average size.
                await using var raw = new SqliteMetadataStore(Path.Combine(dir, "raw.db"));
                await using var c = await raw.OpenConnectionAsync();
                await using (var create = c.Command("CREATE TABLE t (seq INTEGER PRIMARY KEY, time TEXT, actor TEXT, action TEXT, target TEXT, outcome TEXT, body TEXT, hash TEXT)"))
                    await create.ExecuteNonQueryAsync();
                sw.Restart();
                for (var done = 0; done < appends; done += 2048)
                {
                    await using var tx = await c.BeginTransactionAsync();
                    await using var insert = c.Command("INSERT INTO t VALUES (@a, @b, @c, @d, @e, @f, @g, @h)", tx);
                    var p = "abcdefgh".Select(n => { var x = insert.CreateParameter(); x.ParameterName = n.ToString(); insert.Parameters.Add(x); return x; }).ToArray();
                    for (var i = done; i < Math.Min(appends, done + 2048); i++)
                    {
                        p[0].Value = i; p[1].Value = "2026-01-01T00:00:00.0000000Z"; p[2].Value = "researcher-1"; p[3].Value = "workspace.query";
                        p[4].Value = "project-42"; p[5].Value = "success"; p[6].Value = new string('x', 240); p[7].Value = new string('0', 64);
                        await insert.ExecuteNonQueryAsync();
                    }
                    await tx.CommitAsync();
                }
                var baseline = appends / sw.Elapsed.TotalSeconds;
                var okAppend = Report.Ratio("audit appends", ours, baseline, "events/s", 0.0)
                             & Report.Absolute("audit appends", ours, "events/s", 20_000);

                // Grow the log to the export size quickly, in large batches.
                var missing = exported - appends - 1;
                for (var done = 0; done < missing; done += 10_000)
                    await hub.Audit.AppendManyAsync(Enumerable.Range(done, Math.Min(10_000, missing - done)).Select(Entry).ToList());
                var file = Path.Combine(dir, "audit.jsonl");
                await using (var output = File.Create(file)) await hub.Audit.ExportAsync(output);

                sw.Restart();
                var bytes = await File.ReadAllBytesAsync(file);
                SHA256.HashData(bytes);
                var hashOnly = sw.Elapsed.TotalSeconds;

                sw.Restart();
                AuditVerification result;
                await using (var input = File.OpenRead(file)) result = AuditExportVerifier.Verify(input, hub.Vault.SigningPublicKey);
                var verify = sw.Elapsed.TotalSeconds;
                if (!result.Intact) throw new InvalidOperationException(result.Problem);
                Console.WriteLine($"verified {result.Events:N0} events, {result.Checkpoints} checkpoints, {new FileInfo(file).Length / 1e6:F0} MB");
                var okVerify = Report.Ratio("audit verify", verify, hashOnly, "s", 0.0, higherIsBetter: false)
                             & Report.Absolute("audit verify of the export", verify, "s", 3, higherIsBetter: false);
                return okAppend && okVerify ? 0 : 1;
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static AuditEntry Entry(int i) => new("researcher-1", "workspace.query", "project-42", AuditOutcome.Success, null,
        new Dictionary<string, string> { ["rows"] = (i % 5000).ToString(), ["ms"] = "12" });
}
