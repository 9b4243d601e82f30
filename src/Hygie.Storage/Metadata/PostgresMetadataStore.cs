using System.Data.Common;
using System.Net.Sockets;
using Hygie.Core.Errors;
using Npgsql;

namespace Hygie.Storage.Metadata;

/// <summary>
/// The production metadata store: a PostgreSQL database reached through a pooled <see cref="NpgsqlDataSource"/>.
/// Connection failures become <see cref="HubStateException"/>s that name the server and database, never the password.
/// </summary>
public sealed class PostgresMetadataStore : IMetadataStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _user;

    /// <param name="connectionString">An Npgsql connection string; the password may also come from <c>PGPASSWORD</c> or a passfile.</param>
    public PostgresMetadataStore(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            // The message of a parse error may quote the string, password included: keep it out.
            throw new HubStateException("the PostgreSQL connection string is malformed: check its keys and separators (Host=…;Database=…)", "metadata-config");
        }
        if (string.IsNullOrEmpty(builder.Host))
            throw new HubStateException("the PostgreSQL connection string names no Host", "metadata-config");
        if (string.IsNullOrEmpty(builder.Database))
            throw new HubStateException($"the PostgreSQL connection string for {builder.Host} names no Database", "metadata-config");

        Location = $"{builder.Host}:{builder.Port}/{builder.Database}";
        _user = builder.Username ?? Environment.GetEnvironmentVariable("PGUSER") ?? Environment.UserName;
        // Our SQL is portable: keep plain text/bytea/bigint mappings and never let Npgsql put the password in errors.
        builder.IncludeErrorDetail = false;
        builder.ApplicationName ??= "hygie";
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    public string Provider => "postgresql";
    public SqlDialect Dialect => SqlDialect.PostgreSql;

    /// <summary><c>host:port/database</c>.</summary>
    public string Location { get; }

    public async Task<DbConnection> OpenConnectionAsync(CancellationToken ct = default)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            throw new HubStateException(
                $"PostgreSQL at {Location} refused the credentials of user '{_user}': check the user and password given to hygie", "metadata-auth", e);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            throw new HubStateException(
                $"the database of the metadata store does not exist at {Location}: create it (createdb) or fix the Database setting", "metadata-unavailable", e);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.CannotConnectNow
                                              or PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown)
        {
            throw new HubStateException($"PostgreSQL at {Location} does not accept connections now ({e.SqlState}): try again later", "metadata-unavailable", e);
        }
        catch (NpgsqlException e) when (e is not PostgresException && !ct.IsCancellationRequested)
        {
            var why = Reason(e);
            throw new HubStateException($"cannot reach PostgreSQL at {Location}: {why}", "metadata-unavailable", e);
        }
        catch (TimeoutException e)
        {
            throw new HubStateException($"cannot reach PostgreSQL at {Location}: the connection timed out", "metadata-unavailable", e);
        }
    }

    private static string Reason(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return "the connection was refused (is the server running and listening there?)";
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData }:
                    return "the host name does not resolve";
                case SocketException s:
                    return $"network error ({s.SocketErrorCode})";
                case TimeoutException:
                    return "the connection timed out";
                case System.Security.Authentication.AuthenticationException:
                    return "the TLS handshake failed";
            }
        }
        return "the connection failed";
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
