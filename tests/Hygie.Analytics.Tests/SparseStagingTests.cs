using DuckDB.NET.Data;
using Hygie.Testing;

namespace Hygie.Analytics.Tests;

/// <summary>A seekable part is staged with the columns a load reads only: the others never reach memory.</summary>
public sealed class SparseStagingTests
{
    [Fact]
    public async Task Only_the_footer_and_the_columns_read_are_staged_and_they_read_as_in_the_whole_file()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("part.parquet");
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        Execute($"""
            COPY (SELECT i AS a, 'SECRET-' || i AS secret, i * 2.5 AS b, DATE '2020-01-01' + CAST(i % 700 AS INTEGER) AS d FROM range(200000) t(i))
            TO '{path}' (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 50000)
            """);
        using var staging = MemoryStaging.Create();
        await using var content = File.OpenRead(path);
        using var staged = await staging.StageColumnsAsync(content, ["A", "b", "d"], default);

        Assert.Equal(new FileInfo(path).Length, new FileInfo(staged.Path).Length);
        var bytes = await File.ReadAllBytesAsync(staged.Path);
        // the footer is staged whole (its statistics name every column's least and greatest values); the pages are not
        var pages = bytes.Length - 8 - BitConverter.ToInt32(bytes, bytes.Length - 8);
        Assert.True(bytes.AsSpan(0, pages).IndexOf("SECRET-"u8) < 0, "an unread column was staged");
        Assert.True((await File.ReadAllBytesAsync(path)).AsSpan(0, pages).IndexOf("SECRET-"u8) >= 0); // it is in the file
        Assert.Equal(Scalar($"SELECT sum(a) + sum(b) + count(DISTINCT d) FROM read_parquet('{path}')"),
            Scalar($"SELECT sum(a) + sum(b) + count(DISTINCT d) FROM read_parquet('{staged.Path}')"));
        Assert.Equal(Scalar($"SELECT count(*) FROM read_parquet('{path}') WHERE d >= DATE '2021-01-01'"),
            Scalar($"SELECT count(*) FROM read_parquet('{staged.Path}') WHERE d >= DATE '2021-01-01'"));
        // what was not staged cannot be read by mistake: it is a hole of zeros, which is no Parquet page
        Assert.ThrowsAny<DuckDBException>(() => Scalar($"SELECT max(secret) FROM read_parquet('{staged.Path}')"));

        void Execute(string sql)
        {
            using var cmd = db.CreateCommand();
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }

        object? Scalar(string sql)
        {
            using var cmd = db.CreateCommand();
            cmd.CommandText = sql;
            return cmd.ExecuteScalar();
        }
    }
}
