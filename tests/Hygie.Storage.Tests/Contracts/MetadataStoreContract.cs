using System.Text;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Storage.Audit;
using Hygie.Storage.Identity;
using Hygie.Storage.Keys;
using Hygie.Storage.Metadata;
using Hygie.Testing;

namespace Hygie.Storage.Tests.Contracts;

/// <summary>
/// What every metadata store must do: run the schema migrations (and refuse a newer schema), and carry the key ring and
/// the audit log with their SQL unchanged. Each derived class gives a fresh, empty store.
/// </summary>
public abstract class MetadataStoreContract : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("hygie-contract");
    private readonly List<IKeyVault> _vaults = [];

    protected IMetadataStore Store { get; private set; } = null!;
    protected IKeyVault Vault { get; private set; } = null!;
    protected ManualClock Clock { get; } = new();

    /// <summary>A new, empty store of the implementation under test.</summary>
    protected abstract Task<IMetadataStore> CreateStoreAsync();

    /// <summary>Removes what <see cref="CreateStoreAsync"/> made, once the store is disposed.</summary>
    protected virtual Task DropStoreAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync();
        Vault = NewVault();
    }

    public async Task DisposeAsync()
    {
        if (Store is not null) await Store.DisposeAsync();
        await DropStoreAsync();
        foreach (var vault in _vaults) vault.Dispose();
        _directory.Dispose();
    }

    private IKeyVault NewVault()
    {
        var vault = LocalKeyringVault.Create(_directory.Combine($"keyring-{_vaults.Count}.json"), null, TimeProvider.System);
        _vaults.Add(vault);
        return vault;
    }

    private static readonly Migration[] SampleModule =
    [
        new("contract.sample", 1, "sample table",
            """
            CREATE TABLE sample (
                id {autoid},
                name TEXT NOT NULL,
                amount {bigint} NOT NULL,
                payload {blob}
            );
            CREATE INDEX ix_sample_name ON sample (name);
            """),
        new("contract.sample", 2, "sample tags",
            "CREATE TABLE sample_tags (sample_id {bigint} NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (sample_id, tag));"),
    ];

    private Task MigrateAsync(params Migration[] extra) =>
        MigrationRunner.ApplyAsync(Store, [.. Hub.Hub.StorageMigrations, .. extra], Clock);

    private async Task<Dictionary<string, int>> VersionsAsync()
    {
        await using var connection = await Store.OpenConnectionAsync();
        return await MigrationRunner.ReadVersionsAsync(connection, CancellationToken.None);
    }

    private async Task<bool> TableExistsAsync(string table)
    {
        await using var connection = await Store.OpenConnectionAsync();
        await using var cmd = connection.Command($"SELECT COUNT(*) FROM {table}");
        try
        {
            await cmd.ExecuteScalarAsync();
            return true;
        }
        catch (System.Data.Common.DbException)
        {
            return false;
        }
    }

    [ContractFact]
    public async Task Migrations_apply_in_order_once_and_the_dialect_types_round_trip()
    {
        await MigrateAsync(SampleModule);
        await MigrateAsync(SampleModule); // again: nothing to do, no error

        var versions = await VersionsAsync();
        Assert.Equal(2, versions["contract.sample"]);
        Assert.Equal(1, versions[KeyRing.Schema.Module]);
        Assert.Equal(AuditLog.CountrySchema.Version, versions[AuditLog.Schema.Module]);

        var payload = new byte[] { 0, 1, 2, 0xFF, 0x80, 0 };
        const long big = 5_000_000_000L; // beyond 32 bits
        await using var connection = await Store.OpenConnectionAsync();
        for (var i = 0; i < 2; i++)
        {
            await using var insert = connection.Command("INSERT INTO sample (name, amount, payload) VALUES (@n, @a, @p)");
            insert.AddParameter("n", $"row-{i}").AddParameter("a", big + i).AddParameter("p", payload);
            await insert.ExecuteNonQueryAsync();
        }
        await using var select = connection.Command("SELECT id, amount, payload FROM sample ORDER BY id");
        await using var reader = await select.ExecuteReaderAsync();
        var ids = new List<long>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt64Value(0));
            Assert.Equal(big + ids.Count - 1, reader.GetInt64Value(1));
            Assert.Equal(payload, (byte[])reader.GetValue(2));
        }
        Assert.Equal(2, ids.Count);
        Assert.True(ids[1] > ids[0], "auto ids increase");
    }

    [ContractFact]
    public async Task A_store_with_a_newer_schema_is_refused_before_anything_changes()
    {
        await MigrateAsync(SampleModule);
        var other = new Migration("contract.other", 1, "another module", "CREATE TABLE other_things (id TEXT PRIMARY KEY);");

        // This build only knows version 1 of the sample module, and would add a new module.
        var e = await Assert.ThrowsAsync<HubStateException>(() => MigrateAsync(SampleModule[0], other));
        Assert.Equal("schema-too-new", e.Code);
        Assert.Contains("contract.sample", e.Message);
        Assert.Contains("upgrade hygie", e.Message);

        var versions = await VersionsAsync();
        Assert.Equal(2, versions["contract.sample"]);
        Assert.False(versions.ContainsKey("contract.other"));
        Assert.False(await TableExistsAsync("other_things"));
    }

    [ContractFact]
    public async Task A_failing_migration_step_leaves_the_schema_as_it_was()
    {
        await MigrateAsync();
        var broken = new Migration("contract.broken", 1, "half valid", "CREATE TABLE half_done (id TEXT PRIMARY KEY); CREATE TABLE oops (;");
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => MigrateAsync(broken));
        Assert.False((await VersionsAsync()).ContainsKey("contract.broken"));
        Assert.False(await TableExistsAsync("half_done"));
    }

    [ContractFact]
    public async Task Key_ring_creates_reads_destroys_and_rewraps_keys()
    {
        await MigrateAsync();
        var ring = new KeyRing(Store, Vault, Clock);
        var a = await ring.CreateAsync("dataset", "ds-a");
        var b = await ring.CreateAsync("project", "pr-b");
        var keyA = await ring.GetAsync(a);

        // A fresh key ring has no cache: the key comes from the store, unwrapped by the vault.
        var fresh = new KeyRing(Store, Vault, Clock);
        Assert.Equal(keyA, await fresh.GetAsync(a));
        Assert.Equal(a, await fresh.FindIdAsync("dataset", "ds-a"));
        Assert.Equal(b, await fresh.GetOrCreateIdAsync("project", "pr-b"));

        await fresh.DestroyAsync(b, "project closed");
        await Assert.ThrowsAsync<KeyDestroyedException>(() => new KeyRing(Store, Vault, Clock).GetAsync(b));
        Assert.Null(await fresh.FindIdAsync("project", "pr-b"));
        await Assert.ThrowsAsync<IntegrityException>(() => fresh.GetAsync("dataset-0000000000000000"));

        var oldRoot = Vault.RootKeyId;
        var newRoot = Vault.CreateRootKey();
        Assert.Equal(1, await fresh.RewrapAllAsync());
        var listed = await fresh.ListAsync();
        Assert.Equal(2, listed.Count);
        Assert.Equal(newRoot, listed.Single(k => k.Id == a).RootKeyId);
        Assert.Equal(oldRoot, listed.Single(k => k.Id == b).RootKeyId); // destroyed keys are left alone
        Assert.NotNull(listed.Single(k => k.Id == b).Destroyed);
        Assert.Equal(keyA, await new KeyRing(Store, Vault, Clock).GetAsync(a));
    }

    [ContractFact]
    public async Task Access_tokens_are_issued_checked_and_revoked()
    {
        await MigrateAsync();
        var tokens = new AccessTokenStore(Store, Clock);
        var plain = await tokens.IssueAsync("alice", ["operator"], description: "no tenant, no expiry: null columns");
        var scoped = await tokens.IssueAsync("bob", ["researcher"], expires: Clock.GetUtcNow().AddHours(1), tenant: "t1", scopes: ["p1", "p2"]);

        Assert.Equal("alice", (await tokens.ValidateAsync(plain.Secret))?.Subject);
        var checkedScoped = await tokens.ValidateAsync(scoped.Secret);
        Assert.Equal(["p1", "p2"], checkedScoped?.Scopes);
        Assert.Null(await tokens.ValidateAsync(plain.Secret[..^1] + (plain.Secret[^1] == 'A' ? 'B' : 'A')));

        Clock.Advance(TimeSpan.FromHours(2));
        Assert.Null(await tokens.ValidateAsync(scoped.Secret));
        await tokens.RevokeAsync(plain.Token.Id);
        Assert.Null(await tokens.ValidateAsync(plain.Secret));
        Assert.Equal(["alice", "bob"], (await tokens.ListAsync()).Select(t => t.Subject).Order());
        Assert.Single(await tokens.ListAsync("bob"));
    }

    [ContractFact]
    public async Task Audit_log_appends_exports_and_the_export_verifies()
    {
        await MigrateAsync();
        await using var log = new AuditLog(Store, Vault, Clock, "hub-contract", checkpointEvery: 1000);
        var entries = Enumerable.Range(0, 2500).Select(i => new AuditEntry($"user-{i % 7}", i % 2 == 0 ? "dataset.read" : "query.run", $"ds-{i % 3}",
            Details: new Dictionary<string, string> { ["n"] = i.ToString() })).ToList();
        foreach (var batch in entries.Chunk(500)) await log.AppendManyAsync(batch);
        var single = await log.AppendAsync(new AuditEntry("operator", "keys.rotate", "vault"));
        Assert.Equal(2501, single.Seq);

        using var export = new MemoryStream();
        var summary = await log.ExportAsync(export);
        Assert.Equal(2501, summary.Events);
        Assert.Equal(3, summary.Checkpoints); // 1000, 2000, and the head signed at export

        var result = AuditExportVerifier.Verify(new MemoryStream(export.ToArray()), Vault.SigningPublicKey);
        Assert.True(result.Intact, result.Problem);
        Assert.Equal(2501, result.Events);
        Assert.Equal(3, result.Checkpoints);

        var head = await log.HeadAsync();
        Assert.Equal(2501, head.Seq);
        Assert.Equal(2501, head.LastCheckpointSeq);

        var reads = await log.QueryAsync(new AuditQuery(Actor: "user-3", ActionPrefix: "dataset.", Limit: 5));
        Assert.Equal(5, reads.Count);
        Assert.All(reads, e => Assert.Equal("user-3", e.Entry.Actor));
        Assert.True(reads[0].Seq > reads[1].Seq, "newest first");
        var before = await log.QueryAsync(new AuditQuery(BeforeSeq: 3, Limit: 10));
        Assert.Equal([2L, 1L], before.Select(e => e.Seq));

        // A tampered copy of the export is caught, as on any backend.
        var lines = Encoding.UTF8.GetString(export.ToArray()).Split('\n').ToList();
        var i = lines.FindIndex(l => l.StartsWith("{\"type\":\"event\",\"seq\":1234,", StringComparison.Ordinal));
        lines[i] = lines[i].Replace("\"actor\":\"user-", "\"actor\":\"someone-");
        var tampered = AuditExportVerifier.Verify(new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines))), Vault.SigningPublicKey);
        Assert.False(tampered.Intact);
        Assert.Equal(1234, tampered.BrokenSeq);
    }

    [ContractFact]
    public async Task Two_audit_logs_on_one_store_append_concurrently_into_one_chain()
    {
        // Two hub processes on the same metadata store: the head row lock keeps one chain.
        await MigrateAsync();
        await using var first = new AuditLog(Store, Vault, Clock, "hub-contract", checkpointEvery: 50);
        await using var second = new AuditLog(Store, Vault, Clock, "hub-contract", checkpointEvery: 50);
        var tasks = Enumerable.Range(0, 300).Select(i =>
            (i % 2 == 0 ? first : second).AppendAsync(new AuditEntry($"u{i % 5}", "x.y", $"t{i}")));
        var events = await Task.WhenAll(tasks);
        Assert.Equal(300, events.Select(e => e.Seq).Distinct().Count());
        Assert.Equal(300, events.Max(e => e.Seq));

        using var export = new MemoryStream();
        await first.ExportAsync(export);
        var result = AuditExportVerifier.Verify(new MemoryStream(export.ToArray()), Vault.SigningPublicKey);
        Assert.True(result.Intact, result.Problem);
        Assert.Equal(300, result.Events);
    }

    [ContractFact]
    public async Task Work_and_its_audit_events_commit_or_roll_back_together()
    {
        await MigrateAsync();
        var ring = new KeyRing(Store, Vault, Clock);
        await using var log = new AuditLog(Store, Vault, Clock, "hub-contract");
        await log.AppendAsync(new AuditEntry("system", "hub.init", "hub"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => log.CommitWithAsync<string>(
            [new AuditEntry("operator", "dataset.create", "ds-x")],
            async (connection, tx) =>
            {
                await ring.CreateAsync("dataset", "ds-x", connection, tx);
                throw new InvalidOperationException("the deposit failed half way");
            }));
        Assert.Null(await ring.FindIdAsync("dataset", "ds-x"));
        Assert.Equal(1, (await log.HeadAsync()).Seq);

        var (id, events) = await log.CommitWithAsync(
            [new AuditEntry("operator", "dataset.create", "ds-y")],
            (connection, tx) => ring.CreateAsync("dataset", "ds-y", connection, tx));
        Assert.Equal(id, await ring.FindIdAsync("dataset", "ds-y"));
        Assert.Equal(2, events.Single().Seq);
    }
}
