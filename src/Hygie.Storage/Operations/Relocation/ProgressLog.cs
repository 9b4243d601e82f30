using System.Data.Common;
using System.Diagnostics;
using Hygie.Storage.Metadata;

namespace Hygie.Storage.Operations.Relocation;

/// <summary>
/// Records which objects a migration has copied and verified at the target (table <c>migration_objects</c>), in
/// batches: a run killed between two batches leaves some verified objects unrecorded, which the next run recognizes
/// at the target by their digest instead of copying them again.
/// </summary>
/// <param name="beforeCommit">makes a batch's objects durable at the target before they are recorded as verified.</param>
internal sealed class ProgressLog(IMetadataStore store, string migrationId, TimeProvider clock, Action<string, string?>? hook,
    Func<IReadOnlyCollection<string>, CancellationToken, Task>? beforeCommit = null) : IAsyncDisposable
{
    private const int BatchSize = 256;
    private static readonly TimeSpan BatchAge = TimeSpan.FromMilliseconds(250);
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _writer = new(1, 1);
    private List<(string Key, long Size, string Sha256)> _pending = [];
    private readonly Stopwatch _sinceFlush = Stopwatch.StartNew();
    private int _flushing;
    private DbConnection? _connection;
    private DbTransaction? _tx;

    /// <summary>From now on, writes go into this (locked) transaction instead of their own.</summary>
    public void UseTransaction(DbConnection connection, DbTransaction tx) { _connection = connection; _tx = tx; }

    public static async Task<Dictionary<string, (long Size, string Sha256)>> LoadAsync(DbConnection connection, DbTransaction? tx, string migrationId, CancellationToken ct)
    {
        var verified = new Dictionary<string, (long, string)>(StringComparer.Ordinal);
        await using var cmd = connection.Command("SELECT object_key, size, sha256 FROM migration_objects WHERE migration_id = @m", tx);
        cmd.AddParameter("m", migrationId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) verified[reader.GetString(0)] = (reader.GetInt64Value(1), reader.GetString(2));
        return verified;
    }

    public async Task MarkVerifiedAsync(string key, long size, string sha256, CancellationToken ct)
    {
        bool due;
        lock (_gate)
        {
            _pending.Add((key, size, sha256));
            due = _pending.Count >= BatchSize || _sinceFlush.Elapsed >= BatchAge;
        }
        // One worker records a due batch; the others go on copying (what they add waits for the next batch).
        if (!due || Interlocked.CompareExchange(ref _flushing, 1, 0) != 0) return;
        try { await FlushAsync(ct); }
        finally { Volatile.Write(ref _flushing, 0); }
    }

    /// <summary>Forgets an object (altered or gone at the target, or deleted from the source): it will be copied again.</summary>
    public async Task ForgetAsync(string key, CancellationToken ct)
    {
        await FlushAsync(ct);
        await WriteAsync(async (c, tx) =>
        {
            await using var cmd = c.Command("DELETE FROM migration_objects WHERE migration_id = @m AND object_key = @k", tx);
            cmd.AddParameter("m", migrationId).AddParameter("k", key);
            await cmd.ExecuteNonQueryAsync(ct);
        }, ct);
    }

    public async Task FlushAsync(CancellationToken ct)
    {
        List<(string Key, long Size, string Sha256)> batch;
        lock (_gate)
        {
            if (_pending.Count == 0) return;
            batch = _pending;
            _pending = [];
            _sinceFlush.Restart();
        }
        await WriteAsync(async (c, tx) =>
        {
            if (beforeCommit is not null) await beforeCommit(batch.Select(b => b.Key).ToList(), ct);
            var now = clock.GetUtcNow().ToString("O");
            await using (var cmd = c.Command(
                "INSERT INTO migration_objects (migration_id, object_key, size, sha256, verified_at) VALUES (@m, @k, @s, @h, @t) " +
                "ON CONFLICT (migration_id, object_key) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256, verified_at = excluded.verified_at", tx))
            {
                var m = Param(cmd, "m"); var k = Param(cmd, "k"); var s = Param(cmd, "s"); var h = Param(cmd, "h"); var t = Param(cmd, "t");
                m.Value = migrationId; t.Value = now;
                foreach (var (key, size, sha) in batch)
                {
                    k.Value = key; s.Value = size; h.Value = sha;
                    await cmd.ExecuteNonQueryAsync(ct);
                }
            }
            await using (var cmd = c.Command("UPDATE migrations SET updated_at = @t WHERE id = @m", tx))
            {
                cmd.AddParameter("t", now).AddParameter("m", migrationId);
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }, ct);
        hook?.Invoke("progress.flushed", batch.Count.ToString());
    }

    private async Task WriteAsync(Func<DbConnection, DbTransaction, Task> write, CancellationToken ct)
    {
        await _writer.WaitAsync(ct);
        try
        {
            if (_connection is not null && _tx is not null)
            {
                await write(_connection, _tx);
                return;
            }
            await using var connection = await store.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            await write(connection, tx);
            await tx.CommitAsync(ct);
        }
        finally
        {
            _writer.Release();
        }
    }

    private static DbParameter Param(DbCommand cmd, string name)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        cmd.Parameters.Add(p);
        return p;
    }

    public ValueTask DisposeAsync()
    {
        _writer.Dispose();
        return ValueTask.CompletedTask;
    }
}
