using System.Data.Common;

namespace Hygie.Storage.Metadata;

public static class DbCommandExtensions
{
    /// <summary>Adds a named parameter (<c>@name</c> in the SQL); null becomes DBNull.</summary>
    public static DbCommand AddParameter(this DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
        return cmd;
    }

    public static DbCommand Command(this DbConnection connection, string sql, DbTransaction? tx = null)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    public static string? GetNullableString(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static long GetInt64Value(this DbDataReader reader, int ordinal) => Convert.ToInt64(reader.GetValue(ordinal));
}
