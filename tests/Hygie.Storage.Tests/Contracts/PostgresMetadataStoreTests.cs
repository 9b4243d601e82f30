using System.Net;
using System.Net.Sockets;
using Hygie.Core.Errors;
using Hygie.Storage.Metadata;
using Npgsql;

namespace Hygie.Storage.Tests.Contracts;

/// <summary>The contract on a real PostgreSQL server: each test gets its own database, dropped afterwards.</summary>
[RequiresServices(TestServices.Postgres)]
public sealed class PostgresMetadataStoreTests : MetadataStoreContract
{
    private string? _database;

    private static NpgsqlConnectionStringBuilder Admin() => new(TestServices.Get(TestServices.Postgres));

    protected override async Task<IMetadataStore> CreateStoreAsync()
    {
        var admin = Admin();
        _database = $"hygie_t_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {_database}", connection);
            await cmd.ExecuteNonQueryAsync();
        }
        admin.Database = _database;
        return new PostgresMetadataStore(admin.ConnectionString);
    }

    protected override async Task DropStoreAsync()
    {
        if (_database is null) return;
        await using var connection = new NpgsqlConnection(Admin().ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", connection);
        await cmd.ExecuteNonQueryAsync();
    }

    [ContractFact]
    public void Reports_its_provider_dialect_and_a_location_without_the_password()
    {
        var admin = Admin();
        Assert.Equal("postgresql", Store.Provider);
        Assert.Same(SqlDialect.PostgreSql, Store.Dialect);
        Assert.Equal($"{admin.Host}:{admin.Port}/{_database}", Store.Location);
        Assert.DoesNotContain(admin.Password!, Store.Location);
    }

    [ContractFact]
    public async Task A_wrong_password_is_refused_naming_the_server_and_not_the_password()
    {
        var builder = Admin();
        builder.Database = _database;
        builder.Password = "not-the-password-" + Guid.NewGuid().ToString("N")[..8];
        await using var store = new PostgresMetadataStore(builder.ConnectionString);
        var e = await Assert.ThrowsAsync<HubStateException>(() => store.OpenConnectionAsync());
        Assert.Equal("metadata-auth", e.Code);
        Assert.Contains($"{builder.Host}:{builder.Port}/{_database}", e.Message);
        Assert.Contains("credentials", e.Message);
        Assert.DoesNotContain(builder.Password, e.ToString());
        Assert.DoesNotContain(Admin().Password!, e.ToString());
    }

    [ContractFact]
    public async Task An_unreachable_server_is_named()
    {
        var builder = Admin();
        builder.Port = UnusedPort();
        builder.Timeout = 5;
        await using var store = new PostgresMetadataStore(builder.ConnectionString);
        var e = await Assert.ThrowsAsync<HubStateException>(() => store.OpenConnectionAsync());
        Assert.Equal("metadata-unavailable", e.Code);
        Assert.Contains($"cannot reach PostgreSQL at 127.0.0.1:{builder.Port}/", e.Message);
        Assert.Contains("refused", e.Message);
        Assert.DoesNotContain(builder.Password!, e.ToString());
    }

    [ContractFact]
    public async Task A_missing_database_is_named()
    {
        var builder = Admin();
        builder.Database = "hygie_missing_" + Guid.NewGuid().ToString("N")[..8];
        await using var store = new PostgresMetadataStore(builder.ConnectionString);
        var e = await Assert.ThrowsAsync<HubStateException>(() => store.OpenConnectionAsync());
        Assert.Contains(builder.Database, e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [ContractFact]
    public void A_malformed_connection_string_is_refused_without_echoing_it()
    {
        var e = Assert.Throws<HubStateException>(() => new PostgresMetadataStore("Host=127.0.0.1;Password=s3cret-value;Bogus Key=1"));
        Assert.DoesNotContain("s3cret-value", e.ToString());
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
