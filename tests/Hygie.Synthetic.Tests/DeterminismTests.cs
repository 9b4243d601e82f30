using System.Text;
using Hygie.Synthetic.Cohort;
using Hygie.Synthetic.Fhir;
using Hygie.Synthetic.Snds;

namespace Hygie.Synthetic.Tests;

public sealed class DeterminismTests
{
    [Fact]
    public async Task The_same_seed_writes_the_same_bytes_and_another_seed_other_bytes()
    {
        var first = await Extract.GenerateAsync(seed: 42, persons: 400);
        var again = await Extract.GenerateAsync(seed: 42, persons: 400);
        var other = await Extract.GenerateAsync(seed: 43, persons: 400);
        foreach (var table in SndsExtract.Tables)
        {
            Assert.Equal(first.Files[table], again.Files[table]);
            Assert.NotEqual(first.Files[table], other.Files[table]);
        }
        byte[][] Bundles(long seed) => new PatientBundles(new SyntheticCohort(new CohortOptions { Seed = seed, Persons = 400 })).Take(10)
            .Select(b => PatientBundles.Serialize(b.Bundle)).ToArray();
        Assert.Equal(Bundles(42), Bundles(42));
        Assert.NotEqual(Bundles(42)[0], Bundles(43)[0]);
    }

    [Fact]
    public async Task A_smaller_cohort_is_the_start_of_a_larger_one()
    {
        var small = await Extract.GenerateAsync(seed: 9, persons: 150);
        var large = await Extract.GenerateAsync(seed: 9, persons: 600);
        foreach (var table in SndsExtract.Tables)
        {
            var prefix = Encoding.UTF8.GetString(small.Files[table]);
            Assert.StartsWith(prefix, Encoding.UTF8.GetString(large.Files[table]), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_single_table_is_written_to_the_exact_row_count_in_bounded_writes()
    {
        var cohort = new SyntheticCohort(new CohortOptions { Seed = 3 });
        using var sink = new CountingStream();
        var result = await SndsExtract.WriteRowsAsync(cohort, "er_prs_f", 150_000, sink);
        Assert.Equal("ER_PRS_F", result.Table);
        Assert.Equal(150_000, result.Rows);
        Assert.Equal(150_001, sink.Lines);
        Assert.Equal(sink.Length, result.Bytes);
        // streamed: many writes, none larger than the writer's buffer
        Assert.True(sink.Writes > 20, $"{sink.Writes} writes");
        Assert.True(sink.LargestWrite <= 4 << 20, $"largest write {sink.LargestWrite} bytes");

        // the rows are those of the whole-extract writer, cut at the count
        var full = await Extract.GenerateAsync(seed: 3, persons: 50);
        using var few = new MemoryStream();
        await SndsExtract.WriteRowsAsync(cohort, "ER_PRS_F", 100, few);
        var lines = Encoding.UTF8.GetString(few.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Encoding.UTF8.GetString(full.Files["ER_PRS_F"]).Split('\n').Take(101), lines);
    }

    private sealed class CountingStream : Stream
    {
        public long Lines, Writes, LargestWrite, Written;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Writes++;
            Written += buffer.Length;
            LargestWrite = Math.Max(LargestWrite, buffer.Length);
            Lines += buffer.Count((byte)'\n');
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Written;
        public override long Position { get => Written; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
