using System.Data.Common;
using Hygie.Storage.Metadata;

namespace Hygie.Fhir.Storage;

/// <summary>
/// A connection (and transaction) whose commands are prepared once per SQL text and reused with new values:
/// loading a bundle runs the same few inserts thousands of times. Parameters are positional: <c>@p0</c>, <c>@p1</c>…
/// </summary>
public sealed class SqlSession(DbConnection connection, DbTransaction? transaction) : IAsyncDisposable
{
    private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);

    public DbConnection Connection => connection;
    public DbTransaction? Transaction => transaction;

    public DbCommand Prepare(string sql, object?[] values)
    {
        if (!_commands.TryGetValue(sql, out var cmd))
        {
            cmd = connection.Command(sql, transaction);
            for (var i = 0; i < values.Length; i++)
            {
                var p = cmd.CreateParameter();
                p.ParameterName = "p" + i;
                cmd.Parameters.Add(p);
            }
            _commands[sql] = cmd;
        }
        for (var i = 0; i < values.Length; i++) cmd.Parameters[i].Value = values[i] ?? DBNull.Value;
        return cmd;
    }

    public Task<int> ExecuteAsync(string sql, params object?[] values) => Prepare(sql, values).ExecuteNonQueryAsync();

    public Task<object?> ScalarAsync(string sql, params object?[] values) => Prepare(sql, values).ExecuteScalarAsync();

    public Task<DbDataReader> ReaderAsync(string sql, params object?[] values) => Prepare(sql, values).ExecuteReaderAsync();

    /// <summary>A one-off command (dynamic SQL such as searches), named parameters.</summary>
    public DbCommand Command(string sql) => connection.Command(sql, transaction);

    public async ValueTask DisposeAsync()
    {
        foreach (var cmd in _commands.Values) await cmd.DisposeAsync();
        _commands.Clear();
    }
}
