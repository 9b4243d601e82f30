using System.Data.Common;
using System.Text;
using System.Threading.Channels;
using Hygie.Core.Audit;
using Hygie.Core.Sovereignty;
using Hygie.Storage.Keys;
using Hygie.Storage.Metadata;

namespace Hygie.Storage.Audit;

/// <summary>
/// The append-only, hash-chained audit log in the metadata store. Appends are group-committed: callers wait for the
/// durable commit of the batch that holds their event. Every <c>checkpointEvery</c> events, and on demand, the head is
/// signed with the vault's audit key.
/// </summary>
public sealed class AuditLog : IAsyncDisposable
{
    public static readonly Migration Schema = new("storage.audit", 1, "audit chain",
        """
        CREATE TABLE audit_events (
            seq {bigint} PRIMARY KEY,
            time TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            outcome TEXT NOT NULL,
            body TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX ix_audit_actor ON audit_events (actor, seq);
        CREATE INDEX ix_audit_action ON audit_events (action, seq);
        CREATE INDEX ix_audit_time ON audit_events (time);
        CREATE TABLE audit_checkpoints (
            seq {bigint} PRIMARY KEY,
            hash TEXT NOT NULL,
            time TEXT NOT NULL,
            key_id TEXT NOT NULL,
            signature TEXT NOT NULL
        );
        CREATE TABLE audit_head (id INTEGER PRIMARY KEY, seq {bigint} NOT NULL, hash TEXT NOT NULL);
        INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
        """);

    /// <summary>
    /// Where accesses came from, kept as events are appended (same transaction) so that the compliance report and
    /// the public transparency page never scan the log: a count per country of the events that carry a
    /// <c>country</c> detail, and the events from outside the EEA themselves.
    /// </summary>
    public static readonly Migration CountrySchema = new("storage.audit", 2, "accesses by country, maintained on append",
        """
        CREATE TABLE audit_countries (
            country TEXT PRIMARY KEY,
            accesses {bigint} NOT NULL,
            first_seq {bigint} NOT NULL,
            last_seq {bigint} NOT NULL
        );
        CREATE TABLE audit_extra_eea (
            seq {bigint} PRIMARY KEY,
            time TEXT NOT NULL,
            country TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            outcome TEXT NOT NULL
        );
        """);

    private const int MaxBatch = 2048;
    private readonly IMetadataStore _store;
    private readonly IKeyVault _vault;
    private readonly TimeProvider _clock;
    private readonly int _checkpointEvery;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public AuditLog(IMetadataStore store, IKeyVault vault, TimeProvider clock, string hubId, int checkpointEvery = 1000)
    {
        _store = store; _vault = vault; _clock = clock; _checkpointEvery = checkpointEvery;
        HubId = hubId;
        _writer = Task.Run(WriteLoopAsync);
    }

    public string HubId { get; }

    /// <summary>Appends one event and returns it once durably committed.</summary>
    public Task<AuditEvent> AppendAsync(AuditEntry entry, CancellationToken ct = default)
    {
        var pending = new Pending(entry, new TaskCompletionSource<AuditEvent>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
            throw new ObjectDisposedException(nameof(AuditLog), "the audit log is closed");
        return pending.Done.Task.WaitAsync(ct);
    }

    /// <summary>Appends several events in one durable commit.</summary>
    public async Task<IReadOnlyList<AuditEvent>> AppendManyAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct = default) =>
        (await CommitWithAsync(entries, (_, _) => Task.FromResult(0), ct)).Events;

    /// <summary>
    /// Runs <paramref name="work"/> and appends <paramref name="entries"/> in the same transaction: the change and its
    /// audit events become visible together or not at all.
    /// </summary>
    public async Task<(T Result, IReadOnlyList<AuditEvent> Events)> CommitWithAsync<T>(
        IReadOnlyList<AuditEntry> entries, Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct = default)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            await using var connection = await _store.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            var result = await work(connection, tx);
            var events = await WriteBatchAsync(connection, tx, entries, ct);
            await tx.CommitAsync(ct);
            return (result, events);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Like <see cref="CommitWithAsync{T}(IReadOnlyList{AuditEntry}, Func{DbConnection, DbTransaction, Task{T}}, CancellationToken)"/>,
    /// for work that only knows its audit entries once done (e.g. which resources a FHIR transaction created).
    /// </summary>
    public async Task<(T Result, IReadOnlyList<AuditEvent> Events)> CommitWithAsync<T>(
        Func<DbConnection, DbTransaction, Task<(T Result, IReadOnlyList<AuditEntry> Entries)>> work, CancellationToken ct = default)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            await using var connection = await _store.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            var (result, entries) = await work(connection, tx);
            var events = await WriteBatchAsync(connection, tx, entries, ct);
            await tx.CommitAsync(ct);
            return (result, events);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Signs the current head unless it is already signed; returns the head's checkpoint (null for an empty log).</summary>
    public async Task<AuditCheckpoint?> CheckpointAsync(CancellationToken ct = default)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            await using var connection = await _store.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            var (seq, hash) = await ReadHeadAsync(connection, tx, ct);
            if (seq == 0) return null;
            var existing = await ReadCheckpointsAsync(connection, tx, seq, seq, ct);
            var checkpoint = existing.Count > 0 ? existing[0] : await SignCheckpointAsync(connection, tx, seq, hash, ct);
            await tx.CommitAsync(ct);
            return checkpoint;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<AuditHead> HeadAsync(CancellationToken ct = default)
    {
        await using var connection = await _store.OpenConnectionAsync(ct);
        var (seq, hash) = await ReadHeadAsync(connection, null, ct);
        await using var cmd = connection.Command("SELECT seq, time FROM audit_checkpoints ORDER BY seq DESC LIMIT 1");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        long? cpSeq = null; DateTimeOffset? cpTime = null;
        if (await reader.ReadAsync(ct)) { cpSeq = reader.GetInt64Value(0); cpTime = AuditChain.ParseTime(reader.GetString(1)); }
        return new AuditHead(seq, hash, cpSeq, cpTime, AuditChain.Fingerprint(_vault.SigningPublicKey));
    }

    /// <summary>
    /// Verifies the whole chain as an auditor verifies an export (<see cref="AuditExportVerifier"/>, against
    /// <paramref name="trustedPublicKey"/>): the export streams through a pipe, never to disk nor whole in memory.
    /// </summary>
    public async Task<AuditVerification> VerifyAsync(byte[] trustedPublicKey, CancellationToken ct = default)
    {
        var pipe = new System.IO.Pipelines.Pipe();
        var export = Task.Run(async () =>
        {
            try
            {
                await using var writer = pipe.Writer.AsStream();
                await ExportAsync(writer, ct);
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(e);
                throw;
            }
        }, ct);
        AuditVerification verification;
        await using (var reader = pipe.Reader.AsStream())
            verification = await Task.Run(() => AuditExportVerifier.Verify(reader, trustedPublicKey), ct);
        await export;
        return verification;
    }

    /// <summary>
    /// Writes the whole log as JSON Lines: a signed header that fixes the last event, then every event in order with
    /// each checkpoint after the event it signs. Events appended during the export are left for the next one.
    /// </summary>
    public async Task<AuditExportSummary> ExportAsync(Stream output, CancellationToken ct = default)
    {
        await CheckpointAsync(ct);
        await using var connection = await _store.OpenConnectionAsync(ct);
        var (lastSeq, lastHash) = await ReadHeadAsync(connection, null, ct);
        var checkpoints = await ReadCheckpointsAsync(connection, null, 1, lastSeq, ct);
        var exportedAt = _clock.GetUtcNow();
        var header = new ExportHeader(HubId, exportedAt, 1, lastSeq, lastHash, _vault.SigningKeyId, _vault.SigningPublicKey,
            _vault.SignDigest(AuditChain.ExportDigest(1, lastSeq, lastHash, exportedAt)))
        {
            KeyHistory = await KeyHistoryAsync(connection, lastSeq, ct),
        };

        await using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        await writer.WriteLineAsync(header.ToLine());
        var nextCheckpoint = 0;
        await using (var cmd = connection.Command("SELECT seq, body, hash FROM audit_events WHERE seq <= @last ORDER BY seq"))
        {
            cmd.AddParameter("last", lastSeq);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var seq = reader.GetInt64Value(0);
                var body = reader.GetString(1);
                await writer.WriteAsync(body.AsMemory(0, body.Length - 1), ct);
                await writer.WriteAsync(",\"hash\":\"");
                await writer.WriteAsync(reader.GetString(2));
                await writer.WriteLineAsync("\"}");
                while (nextCheckpoint < checkpoints.Count && checkpoints[nextCheckpoint].Seq == seq)
                    await writer.WriteLineAsync(AuditExportVerifier.CheckpointLine(checkpoints[nextCheckpoint++]));
            }
        }
        await writer.FlushAsync(ct);
        return new AuditExportSummary(lastSeq, lastHash, checkpoints.Count, AuditChain.Fingerprint(_vault.SigningPublicKey));
    }

    /// <summary>Events matching a filter, newest first, for auditors' screens and reports.</summary>
    public async Task<IReadOnlyList<AuditEvent>> QueryAsync(AuditQuery query, CancellationToken ct = default)
    {
        var sql = new StringBuilder("SELECT seq, body, hash FROM audit_events WHERE 1=1");
        await using var connection = await _store.OpenConnectionAsync(ct);
        await using var cmd = connection.CreateCommand();
        if (query.Actor is not null) { sql.Append(" AND actor = @actor"); cmd.AddParameter("actor", query.Actor); }
        if (query.ActionPrefix is not null) { sql.Append(" AND action LIKE @action"); cmd.AddParameter("action", query.ActionPrefix + "%"); }
        if (query.Target is not null) { sql.Append(" AND target = @target"); cmd.AddParameter("target", query.Target); }
        if (query.Outcome is not null) { sql.Append(" AND outcome = @outcome"); cmd.AddParameter("outcome", query.Outcome); }
        if (query.Since is not null) { sql.Append(" AND time >= @since"); cmd.AddParameter("since", AuditChain.FormatTime(query.Since.Value)); }
        if (query.Until is not null) { sql.Append(" AND time < @until"); cmd.AddParameter("until", AuditChain.FormatTime(query.Until.Value)); }
        if (query.BeforeSeq is not null) { sql.Append(" AND seq < @before"); cmd.AddParameter("before", query.BeforeSeq.Value); }
        sql.Append(" ORDER BY seq DESC LIMIT @limit");
        cmd.AddParameter("limit", Math.Clamp(query.Limit, 1, 10_000));
        cmd.CommandText = sql.ToString();
        var list = new List<AuditEvent>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add(AuditEventJson.Parse(reader.GetString(1), reader.GetString(2)));
        return list;
    }

    /// <summary>How many successful events of each action happened per day (UTC) since <paramref name="since"/>: activity charts.</summary>
    public async Task<IReadOnlyList<(DateOnly Day, string Action, long Count)>> CountByDayAsync(DateTimeOffset since, IReadOnlyList<string> actions,
        CancellationToken ct = default)
    {
        var result = new List<(DateOnly, string, long)>();
        if (actions.Count == 0) return result;
        await using var connection = await _store.OpenConnectionAsync(ct);
        await using var cmd = connection.CreateCommand();
        var names = actions.Select((a, i) => { cmd.AddParameter($"a{i}", a); return $"@a{i}"; }).ToList();
        cmd.CommandText = $"SELECT substr(time, 1, 10), action, COUNT(*) FROM audit_events WHERE time >= @since AND outcome = 'success' " +
                          $"AND action IN ({string.Join(", ", names)}) GROUP BY substr(time, 1, 10), action";
        cmd.AddParameter("since", AuditChain.FormatTime(since));
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            result.Add((DateOnly.ParseExact(reader.GetString(0), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), reader.GetString(1),
                reader.GetInt64Value(2)));
        return result;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item)) batch.Add(item);
            if (batch.Count == 0) continue;
            try
            {
                var (_, events) = await CommitWithAsync(batch.Select(p => p.Entry).ToList(), (_, _) => Task.FromResult(0));
                for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(events[i]);
            }
            catch (Exception e)
            {
                foreach (var p in batch) p.Done.TrySetException(e);
            }
        }
    }

    /// <summary>The audit keys that signed the chain up to <paramref name="lastSeq"/>, oldest first; null when it never changed hands.</summary>
    private static async Task<IReadOnlyList<byte[]>?> KeyHistoryAsync(DbConnection connection, long lastSeq, CancellationToken ct)
    {
        List<byte[]>? keys = null;
        await using var cmd = connection.Command("SELECT body, hash FROM audit_events WHERE action = @a AND seq <= @last ORDER BY seq");
        cmd.AddParameter("a", AuditChain.KeyTransitionAction).AddParameter("last", lastSeq);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var details = AuditEventJson.Parse(reader.GetString(0), reader.GetString(1)).Entry.Details!;
            keys ??= [Convert.FromBase64String(details["fromPublicKey"])];
            keys.Add(Convert.FromBase64String(details["toPublicKey"]));
        }
        return keys;
    }

    /// <summary>
    /// Hands the chain from <paramref name="from"/>'s audit key to <paramref name="to"/>'s, inside the caller's
    /// transaction (a migration's switch, which holds the store's write lock): the head is signed by the old key, the
    /// transition event carries both public keys and the old key's endorsement of the new one, and the new key signs
    /// the head after it. An auditor holding either public key verifies the whole chain (see <see cref="ExportHeader.KeyHistory"/>).
    /// </summary>
    public static async Task<AuditEvent> AppendKeyTransitionAsync(DbConnection connection, DbTransaction tx, SqlDialect dialect, IKeyVault from, IKeyVault to,
        TimeProvider clock, string actor, string reason, CancellationToken ct)
    {
        var (seq, prev) = await ReadHeadAsync(connection, tx, dialect, ct);
        if (seq > 0 && (await ReadCheckpointsAsync(connection, tx, seq, seq, ct)).Count == 0)
            await SignCheckpointAsync(connection, tx, from, clock, seq, prev, ct);
        var entry = new AuditEntry(actor, AuditChain.KeyTransitionAction, to.SigningKeyId, Reason: reason, Details: new Dictionary<string, string>
        {
            ["fromKeyId"] = from.SigningKeyId, ["fromKey"] = AuditChain.Fingerprint(from.SigningPublicKey), ["fromPublicKey"] = Convert.ToBase64String(from.SigningPublicKey),
            ["toKeyId"] = to.SigningKeyId, ["toKey"] = AuditChain.Fingerprint(to.SigningPublicKey), ["toPublicKey"] = Convert.ToBase64String(to.SigningPublicKey),
            ["endorsement"] = Convert.ToBase64String(from.SignDigest(AuditChain.KeyTransitionDigest(prev, to.SigningPublicKey))),
            ["fromVault"] = from.Kind, ["toVault"] = to.Kind,
        });
        var events = await InsertEventsAsync(connection, tx, clock, seq, prev, [entry], ct);
        await SignCheckpointAsync(connection, tx, to, clock, events[0].Seq, events[0].Hash, ct);
        return events[0];
    }

    private async Task<IReadOnlyList<AuditEvent>> WriteBatchAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<AuditEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0) return [];
        var (firstSeq, head) = await ReadHeadAsync(connection, tx, ct);
        var events = await InsertEventsAsync(connection, tx, _clock, firstSeq, head, entries, ct);
        var (seq, prev) = (events[^1].Seq, events[^1].Hash);
        if (firstSeq / _checkpointEvery != seq / _checkpointEvery)
            await SignCheckpointAsync(connection, tx, seq, prev, ct);
        return events;
    }

    /// <summary>Appends <paramref name="entries"/> after the head (<paramref name="seq"/>, <paramref name="prev"/>) and moves the head.</summary>
    private static async Task<List<AuditEvent>> InsertEventsAsync(DbConnection connection, DbTransaction tx, TimeProvider clock, long seq, string prev,
        IReadOnlyList<AuditEntry> entries, CancellationToken ct)
    {
        var events = new List<AuditEvent>(entries.Count);
        await using (var insert = connection.Command(
            "INSERT INTO audit_events (seq, time, actor, action, target, outcome, body, hash) VALUES (@seq, @time, @actor, @action, @target, @outcome, @body, @hash)", tx))
        {
            var p = new[] { "seq", "time", "actor", "action", "target", "outcome", "body", "hash" }
                .Select(n => { var x = insert.CreateParameter(); x.ParameterName = n; insert.Parameters.Add(x); return x; }).ToArray();
            foreach (var entry in entries)
            {
                seq++;
                var time = clock.GetUtcNow();
                var canonical = AuditChain.Canonical(seq, time, entry, prev);
                var hash = AuditChain.Hash(canonical);
                p[0].Value = seq; p[1].Value = AuditChain.FormatTime(time); p[2].Value = entry.Actor; p[3].Value = entry.Action;
                p[4].Value = entry.Target; p[5].Value = entry.Outcome; p[6].Value = Encoding.UTF8.GetString(canonical); p[7].Value = hash;
                await insert.ExecuteNonQueryAsync(ct);
                events.Add(new AuditEvent(seq, time, entry, prev, hash));
                prev = hash;
            }
        }
        await using (var head = connection.Command("UPDATE audit_head SET seq = @seq, hash = @hash WHERE id = 1", tx))
        {
            head.AddParameter("seq", seq).AddParameter("hash", prev);
            await head.ExecuteNonQueryAsync(ct);
        }
        await CountAccessesAsync(connection, tx, events, ct);
        return events;
    }

    /// <summary>Adds the batch's accesses with a known country to <c>audit_countries</c>, and those from outside the EEA to <c>audit_extra_eea</c>.</summary>
    private static async Task CountAccessesAsync(DbConnection connection, DbTransaction tx, List<AuditEvent> events, CancellationToken ct)
    {
        var located = events.Select(e => (Event: e, Country: e.Entry.Details is { } d && d.TryGetValue("country", out var c) ? Countries.Code(c) : null))
            .Where(x => x.Country is not null).ToList();
        if (located.Count == 0) return;
        foreach (var group in located.GroupBy(x => x.Country!))
        {
            await using var cmd = connection.Command(
                "INSERT INTO audit_countries (country, accesses, first_seq, last_seq) VALUES (@c, @n, @first, @last) " +
                "ON CONFLICT (country) DO UPDATE SET accesses = audit_countries.accesses + excluded.accesses, last_seq = excluded.last_seq", tx);
            cmd.AddParameter("c", group.Key).AddParameter("n", (long)group.Count())
               .AddParameter("first", group.Min(x => x.Event.Seq)).AddParameter("last", group.Max(x => x.Event.Seq));
            await cmd.ExecuteNonQueryAsync(ct);
        }
        foreach (var (e, country) in located.Where(x => !Countries.Eea.Contains(x.Country!)))
        {
            await using var cmd = connection.Command(
                "INSERT INTO audit_extra_eea (seq, time, country, actor, action, outcome) VALUES (@s, @t, @c, @a, @x, @o)", tx);
            cmd.AddParameter("s", e.Seq).AddParameter("t", AuditChain.FormatTime(e.Time)).AddParameter("c", country)
               .AddParameter("a", e.Entry.Actor).AddParameter("x", e.Entry.Action).AddParameter("o", e.Entry.Outcome);
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }

    private Task<AuditCheckpoint> SignCheckpointAsync(DbConnection connection, DbTransaction tx, long seq, string hash, CancellationToken ct) =>
        SignCheckpointAsync(connection, tx, _vault, _clock, seq, hash, ct);

    private static async Task<AuditCheckpoint> SignCheckpointAsync(DbConnection connection, DbTransaction tx, IKeyVault vault, TimeProvider clock, long seq, string hash, CancellationToken ct)
    {
        var time = clock.GetUtcNow();
        var signature = Convert.ToBase64String(vault.SignDigest(AuditChain.CheckpointDigest(seq, hash, time)));
        var checkpoint = new AuditCheckpoint(seq, hash, time, vault.SigningKeyId, signature);
        await using var cmd = connection.Command(
            "INSERT INTO audit_checkpoints (seq, hash, time, key_id, signature) VALUES (@seq, @hash, @time, @key, @sig)", tx);
        cmd.AddParameter("seq", seq).AddParameter("hash", hash).AddParameter("time", AuditChain.FormatTime(time))
           .AddParameter("key", checkpoint.KeyId).AddParameter("sig", signature);
        await cmd.ExecuteNonQueryAsync(ct);
        return checkpoint;
    }

    private Task<(long Seq, string Hash)> ReadHeadAsync(DbConnection connection, DbTransaction? tx, CancellationToken ct) =>
        ReadHeadAsync(connection, tx, _store.Dialect, ct);

    private static async Task<(long Seq, string Hash)> ReadHeadAsync(DbConnection connection, DbTransaction? tx, SqlDialect dialect, CancellationToken ct)
    {
        await using var cmd = connection.Command("SELECT seq, hash FROM audit_head WHERE id = 1" + (tx is null ? "" : dialect.ForUpdate), tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) throw new InvalidOperationException("the audit head row is missing");
        return (reader.GetInt64Value(0), reader.GetString(1));
    }

    private static async Task<List<AuditCheckpoint>> ReadCheckpointsAsync(DbConnection connection, DbTransaction? tx, long from, long to, CancellationToken ct)
    {
        var list = new List<AuditCheckpoint>();
        await using var cmd = connection.Command("SELECT seq, hash, time, key_id, signature FROM audit_checkpoints WHERE seq >= @from AND seq <= @to ORDER BY seq", tx);
        cmd.AddParameter("from", from).AddParameter("to", to);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add(new AuditCheckpoint(reader.GetInt64Value(0), reader.GetString(1), AuditChain.ParseTime(reader.GetString(2)), reader.GetString(3), reader.GetString(4)));
        return list;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
        _writeLock.Dispose();
    }

    private sealed record Pending(AuditEntry Entry, TaskCompletionSource<AuditEvent> Done);
}

public sealed record AuditHead(long Seq, string Hash, long? LastCheckpointSeq, DateTimeOffset? LastCheckpointTime, string SigningKeyFingerprint);

public sealed record AuditExportSummary(long Events, string LastHash, int Checkpoints, string SigningKeyFingerprint);

public sealed record AuditQuery(
    string? Actor = null, string? ActionPrefix = null, string? Target = null, string? Outcome = null,
    DateTimeOffset? Since = null, DateTimeOffset? Until = null, long? BeforeSeq = null, int Limit = 100);
