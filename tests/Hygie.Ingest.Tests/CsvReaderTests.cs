using System.Text;
using Hygie.Core.Errors;
using Hygie.Ingest.Columns;
using Hygie.Ingest.Csv;
using Hygie.Ingest.Schemas;
using Hygie.Ingest.Values;

namespace Hygie.Ingest.Tests;

public class CsvReaderTests
{
    private const string Psa = "WzaLKmWVyVPvZUkvM";

    private static readonly TableSchema Claims = new("T_CLAIMS",
    [
        new FieldSchema("BEN_NIR_PSA", FieldType.String) { Length = 17, Required = true, IsIdentifier = true },
        new FieldSchema("BEN_RNG_GEM", FieldType.Integer),
        new FieldSchema("EXE_SOI_DTD", FieldType.Date),
        new FieldSchema("PRS_PAI_MNT", FieldType.Number),
        new FieldSchema("BEN_CMU_TOP", FieldType.Boolean),
        new FieldSchema("PRS_NAT_REF", FieldType.String) { Length = 4 },
    ]);

    private const string Header = "BEN_NIR_PSA;BEN_RNG_GEM;EXE_SOI_DTD;PRS_PAI_MNT;BEN_CMU_TOP;PRS_NAT_REF\n";

    private static SndsCsvReader Reader(string csv, CsvReadOptions? options = null, TableSchema? schema = null) =>
        Reader(Encoding.UTF8.GetBytes(csv), options, schema);

    private static SndsCsvReader Reader(byte[] csv, CsvReadOptions? options = null, TableSchema? schema = null) =>
        new(new MemoryStream(csv), schema ?? Claims, (options ?? new CsvReadOptions()) with { FileName = "claims.csv" });

    private static RowErrorsException Refused(string csv, CsvReadOptions? options = null) =>
        Assert.Throws<RowErrorsException>(() => Reader(csv, options).ReadAll().ToList());

    [Fact]
    public void Rows_come_out_as_typed_columns()
    {
        using var reader = Reader(Header
            + $"{Psa};1;24/11/1991;12,50;True;1111\n"
            + $"{Psa};2;11Jun1990:15:47:24;3;0;\n"
            + $"{Psa};;01/01/1600;;;C\n");
        var batch = Assert.Single(reader.ReadAll());
        Assert.Equal(3, batch.Count);
        Assert.Equal(';', reader.Delimiter);
        Assert.Equal([2L, 3, 4], batch.Lines[..3]);

        var psa = batch.Column<StringColumn>("BEN_NIR_PSA");
        Assert.Equal(Psa, psa.GetString(2));
        var rank = batch.Column<Int64Column>("BEN_RNG_GEM");
        Assert.Equal(1, rank.Values[0]);
        Assert.True(rank.IsNull(2));
        Assert.Equal(1, rank.NullCount);
        var date = batch.Column<DateColumn>("EXE_SOI_DTD");
        Assert.Equal(new DateOnly(1991, 11, 24), date.GetDate(0));
        Assert.Equal(new DateOnly(1990, 6, 11), date.GetDate(1));
        Assert.True(date.IsMissingSentinel(2));
        Assert.False(date.IsNull(2));
        var amount = batch.Column<DoubleColumn>("PRS_PAI_MNT");
        Assert.Equal(12.5, amount.Values[0]);
        Assert.True(amount.IsNull(2));
        var cmu = batch.Column<BooleanColumn>("BEN_CMU_TOP");
        Assert.Equal([true, false], cmu.Values[..2]);
        var nat = batch.Column<StringColumn>("PRS_NAT_REF");
        Assert.Equal(new List<string?> { "1111", null, "C" }, nat.ToStrings());
        Assert.Equal((3L, 3L, 0L), (reader.RowsRead, reader.RowsAccepted, reader.RowsRejected));
    }

    [Fact]
    public void Columns_may_come_in_any_order_and_case_and_batches_follow_the_schema_order()
    {
        using var reader = Reader("prs_nat_ref,BEN_CMU_TOP,PRS_PAI_MNT,EXE_SOI_DTD,BEN_RNG_GEM,BEN_NIR_PSA\r\n"
            + $"C1,False,1.5,1991-11-24,3,{Psa}\r\n");
        var batch = Assert.Single(reader.ReadAll());
        Assert.Equal(',', reader.Delimiter);
        Assert.Equal(Claims.Fields.Select(f => f.Name), batch.Columns.Select(c => c.Name));
        Assert.Equal(3, batch.Column<Int64Column>("BEN_RNG_GEM").Values[0]);
        Assert.Equal("C1", batch.Column<StringColumn>("PRS_NAT_REF").GetString(0));
    }

    [Fact]
    public void A_given_delimiter_is_used_and_quoting_follows_rfc_4180()
    {
        var csv = "\uFEFF" + Header.Replace(';', '|')
            + $"\"{Psa}\"|1|24/11/1991|1|1|\"A|B\"\n"
            + $"{Psa}|2|24/11/1991|2|0|\"a\"\"b\"\n"
            + $"{Psa}|3|24/11/1991|3|0|\"x\r\ny\"\n"
            + $"{Psa}|4|24/11/1991|4|0|\"\"";
        using var reader = Reader(csv, new CsvReadOptions { Delimiter = '|' }, ClaimsWithNatLength(20));
        var batch = Assert.Single(reader.ReadAll());
        Assert.Equal(new List<string?> { "A|B", "a\"b", "x\r\ny", null }, batch.Column<StringColumn>("PRS_NAT_REF").ToStrings());
        Assert.Equal([2L, 3, 4, 6], batch.Lines[..4]); // the third row spans lines 4 and 5
    }

    private static TableSchema ClaimsWithNatLength(int length) =>
        new(Claims.Name, [.. Claims.Fields.Select(f => f.Name == "PRS_NAT_REF" ? f with { Length = length } : f)]);

    [Fact]
    public void A_bad_value_gives_its_line_column_class_and_rule_without_the_value()
    {
        var e = Refused(Header + $"{Psa};1;24/11/1991;1;True;A\n{Psa};x1;31/02/2019;1;maybe;TOOLONG\n");
        Assert.Equal(4, e.Errors.Count);
        var rank = e.Errors[0];
        Assert.Equal(("claims.csv", 3L, "BEN_RNG_GEM", RowRule.Integer), (rank.File, rank.Line, rank.Column, rank.Rule));
        Assert.Equal("text of 2 chars shaped a9", rank.ValueClass);
        Assert.Equal((RowRule.Date, "text of 10 chars shaped 99/99/9999"), (e.Errors[1].Rule, e.Errors[1].ValueClass));
        Assert.Equal(RowRule.Boolean, e.Errors[2].Rule);
        Assert.Equal((RowRule.MaxLength, "at most 4 chars"), (e.Errors[3].Rule, e.Errors[3].Detail));
        Assert.DoesNotContain("x1", e.Message);
        Assert.Equal("row-errors", e.Code);
        Assert.Equal(400, e.Status);
    }

    [Fact]
    public void Identifier_values_never_appear_in_errors()
    {
        const string tooLong = "SECRETIDENTIFIER99";
        var e = Refused(Header + $"{tooLong};1;24/11/1991;1;True;A\n;1;24/11/1991;1;True;A\n");
        Assert.Equal((RowRule.MaxLength, "BEN_NIR_PSA", "text of 18 chars"), (e.Errors[0].Rule, e.Errors[0].Column, e.Errors[0].ValueClass));
        Assert.Equal((RowRule.Required, "empty"), (e.Errors[1].Rule, e.Errors[1].ValueClass));
        var everything = e.Message + string.Join("\n", e.Errors.Select(x => x.ToString()))
            + System.Text.Json.JsonSerializer.Serialize(e.Extensions);
        Assert.DoesNotContain(tooLong, everything);
        Assert.DoesNotContain("SECRET", everything);
    }

    [Fact]
    public void Wrong_column_count_is_a_row_error()
    {
        var e = Refused(Header + $"{Psa};1;24/11/1991;1;True\n{Psa};1;24/11/1991;1;True;A;extra\n");
        Assert.All(e.Errors, x => Assert.Equal(RowRule.ColumnCount, x.Rule));
        Assert.Equal([(2L, "5 fields"), (3L, "7 fields")], e.Errors.Select(x => (x.Line, x.ValueClass)));
        Assert.Null(e.Errors[0].Column);
        Assert.Contains("expected 6 fields", e.Errors[0].Detail);
    }

    [Theory]
    [InlineData("\"A\"B;1;24/11/1991;1;True;A\n", "text after the closing quote")]
    [InlineData("AB\"C;1;24/11/1991;1;True;A\n", "a quote inside an unquoted field")]
    [InlineData("AB;1;24/11/1991;1;True;\"A\n", "not closed")]
    public void Bad_quoting_is_a_row_error(string row, string detail)
    {
        var e = Refused(Header + row);
        var error = Assert.Single(e.Errors);
        Assert.Equal((RowRule.Quoting, 2L), (error.Rule, error.Line));
        Assert.Contains(detail, error.Detail);
    }

    [Fact]
    public void After_bad_quoting_reading_resumes_on_the_next_line()
    {
        using var reader = Reader(Header + $"{Psa};1;\"24/11/1991\"x;1;True;A\n{Psa};2;24/11/1991;1;True;B\n", new CsvReadOptions { OnError = RowErrorMode.Quarantine });
        var batch = Assert.Single(reader.ReadAll());
        Assert.Equal(1, batch.Count);
        Assert.Equal(3L, batch.Lines[0]);
        var bad = Assert.Single(batch.Quarantined);
        Assert.Equal(2L, bad.Line);
        Assert.Equal($"{Psa};1;\"24/11/1991\"x;1;True;A", Encoding.UTF8.GetString(bad.Raw));
    }

    [Fact]
    public void Invalid_utf8_is_a_row_error_naming_the_column()
    {
        var bytes = Encoding.UTF8.GetBytes(Header + $"{Psa};1;24/11/1991;1;True;AB\n").Concat(
            Encoding.UTF8.GetBytes($"{Psa};1;24/11/1991;1;True;A")).Concat(new byte[] { 0xC3, 0x28 }).Concat("\n"u8.ToArray()).ToArray();
        var e = Assert.Throws<RowErrorsException>(() => Reader(bytes).ReadAll().ToList());
        var error = Assert.Single(e.Errors);
        Assert.Equal((RowRule.Utf8, 3L, "PRS_NAT_REF"), (error.Rule, error.Line, error.Column));
    }

    [Fact]
    public void Valid_multibyte_text_passes_and_counts_characters_not_bytes()
    {
        using var reader = Reader(Header + $"{Psa};1;24/11/1991;1;True;Éé€ç\n");
        var batch = Assert.Single(reader.ReadAll());
        Assert.Equal("Éé€ç", batch.Column<StringColumn>("PRS_NAT_REF").GetString(0));
    }

    [Fact]
    public void A_header_that_does_not_match_names_the_missing_and_extra_columns()
    {
        var e = Assert.Throws<ValidationFailedException>(() =>
            Reader("BEN_NIR_PSA;BEN_RNG_GEM;EXE_SOI_DTD;PRS_PAI_MNT;BEN_CMU_TOP;NOT_A_COLUMN\n").ReadAll().ToList());
        Assert.Equal("header-mismatch", e.Code);
        Assert.Contains("missing column PRS_NAT_REF", e.Message);
        Assert.Contains("unexpected column NOT_A_COLUMN", e.Message);
        Assert.Contains("claims.csv", e.Message);
        Assert.Contains("T_CLAIMS", e.Message);

        var dup = Assert.Throws<ValidationFailedException>(() => Reader(Header.TrimEnd('\n') + ";BEN_RNG_GEM\n").ReadAll().ToList());
        Assert.Contains("BEN_RNG_GEM twice", dup.Message);
    }

    [Fact]
    public void Extra_and_missing_columns_can_be_allowed()
    {
        using var reader = Reader("BEN_NIR_PSA;OTHER;BEN_RNG_GEM\n" + $"{Psa};zz;4\n",
            new CsvReadOptions { IgnoreExtraColumns = true, AllowMissingColumns = true });
        var batch = Assert.Single(reader.ReadAll());
        Assert.Equal(["BEN_NIR_PSA", "BEN_RNG_GEM"], batch.Columns.Select(c => c.Name));
        Assert.Equal(4, batch.Column<Int64Column>("BEN_RNG_GEM").Values[0]);

        // a required column may not be missing even then
        var e = Assert.Throws<ValidationFailedException>(() =>
            Reader("BEN_RNG_GEM\n4\n", new CsvReadOptions { AllowMissingColumns = true }).ReadAll().ToList());
        Assert.Contains("missing column BEN_NIR_PSA", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\uFEFF")]
    [InlineData("\n\n")]
    [InlineData("   \r\n")]
    public void An_empty_file_is_refused(string content)
    {
        var e = Assert.Throws<ValidationFailedException>(() => Reader(content).ReadAll().ToList());
        Assert.Equal("empty-file", e.Code);
        Assert.Contains("claims.csv", e.Message);
    }

    [Fact]
    public void A_header_alone_gives_no_rows_and_blank_lines_are_skipped()
    {
        Assert.Empty(Reader(Header).ReadAll());
        using var reader = Reader(Header + "\n" + $"{Psa};1;24/11/1991;1;True;A\r\n\r\n");
        var batch = Assert.Single(reader.ReadAll());
        Assert.Equal(1, batch.Count);
        Assert.Equal(3L, batch.Lines[0]);
        Assert.Equal(1, reader.RowsRead);
    }

    [Fact]
    public void Fail_mode_stops_at_the_error_limit_and_says_there_may_be_more()
    {
        var sb = new StringBuilder(Header);
        for (var i = 0; i < 500; i++) sb.Append($"{Psa};bad;24/11/1991;1;True;A\n");
        var e = Refused(sb.ToString(), new CsvReadOptions { MaxErrors = 100 });
        Assert.Equal(100, e.Errors.Count);
        Assert.True(e.Truncated);
        Assert.Equal(101L, e.Errors[^1].Line);
        Assert.StartsWith("claims.csv: at least 100 errors", e.Message);

        var few = Refused(Header + $"{Psa};bad;24/11/1991;1;True;A\n", new CsvReadOptions { MaxErrors = 100 });
        Assert.False(few.Truncated);
    }

    [Fact]
    public void Fail_mode_yields_no_batch_after_the_first_error()
    {
        var sb = new StringBuilder(Header);
        for (var i = 0; i < 10; i++) sb.Append($"{Psa};{i};24/11/1991;1;True;A\n");
        sb.Append($"{Psa};bad;24/11/1991;1;True;A\n");
        for (var i = 0; i < 10; i++) sb.Append($"{Psa};{i};24/11/1991;1;True;A\n");
        using var reader = Reader(sb.ToString(), new CsvReadOptions { BatchSize = 4 });
        var batches = new List<RowBatch>();
        var e = Assert.Throws<RowErrorsException>(() => { foreach (var b in reader.ReadAll()) batches.Add(b); });
        Assert.Equal(8, batches.Sum(b => b.Count)); // two full batches before the bad row; the partial third is dropped
        Assert.Single(e.Errors);
    }

    [Fact]
    public void Quarantine_mode_keeps_good_rows_and_sets_bad_ones_aside_raw()
    {
        var csv = Header
            + $"{Psa};1;24/11/1991;1;True;A\n"
            + $"{Psa};x;24/11/1991;1;True;A\n"
            + $"{Psa};2;24/11/1991;1;True\n"
            + $"{Psa};3;24/11/1991;1;True;B\n";
        using var reader = Reader(csv, new CsvReadOptions { OnError = RowErrorMode.Quarantine });
        var batch = Assert.Single(reader.ReadAll());
        Assert.Equal(2, batch.Count);
        Assert.Equal([1L, 3], batch.Column<Int64Column>("BEN_RNG_GEM").Values[..2]);
        Assert.Equal(2, batch.Quarantined.Count);
        Assert.Equal($"{Psa};x;24/11/1991;1;True;A", Encoding.UTF8.GetString(batch.Quarantined[0].Raw));
        Assert.Equal(RowRule.Integer, Assert.Single(batch.Quarantined[0].Errors).Rule);
        Assert.Equal(RowRule.ColumnCount, batch.Quarantined[1].Errors[0].Rule);
        Assert.Equal((4L, 2L, 2L), (reader.RowsRead, reader.RowsAccepted, reader.RowsRejected));
        Assert.Equal(2, reader.Errors.Count);
    }

    [Fact]
    public void Missing_values_of_the_schema_read_as_null()
    {
        var schema = new TableSchema("T", [new FieldSchema("A", FieldType.Integer), new FieldSchema("B", FieldType.String)], missingValues: ["", "NA", "."]);
        using var reader = new SndsCsvReader(new MemoryStream("A;B\nNA;.\n   ;x\n5;NA\n"u8.ToArray()), schema);
        var batch = Assert.Single(reader.ReadAll());
        Assert.Equal([null, null, 5L], Enumerable.Range(0, 3).Select(i => batch.Column("A")!.GetValue(i)));
        Assert.Equal(new List<string?> { null, "x", null }, batch.Column<StringColumn>("B").ToStrings());
    }

    [Fact]
    public void Constraints_are_checked_when_asked()
    {
        var schema = new TableSchema("T", [new FieldSchema("A", FieldType.Integer) { Minimum = 0, Maximum = 9 }, new FieldSchema("B", FieldType.String) { Enum = ["x", "y"] }]);
        var csv = "A;B\n12;z\n"u8.ToArray();
        Assert.Single(new SndsCsvReader(new MemoryStream(csv), schema).ReadAll());
        var e = Assert.Throws<RowErrorsException>(() => new SndsCsvReader(new MemoryStream(csv), schema, new CsvReadOptions { EnforceConstraints = true }).ReadAll().ToList());
        Assert.Equal([RowRule.Maximum, RowRule.Enum], e.Errors.Select(x => x.Rule));
    }

    [Fact]
    public void A_row_longer_than_the_limit_is_refused_and_reading_goes_on()
    {
        var huge = new string('A', 5000);
        using var reader = Reader(Header + $"{Psa};1;24/11/1991;1;True;{huge}\n{Psa};2;24/11/1991;1;True;B\n",
            new CsvReadOptions { OnError = RowErrorMode.Quarantine, MaxRowBytes = 1024, BufferSize = 256 });
        var batch = Assert.Single(reader.ReadAll());
        Assert.Equal(1, batch.Count);
        Assert.Equal(3L, batch.Lines[0]);
        Assert.Equal(RowRule.RowTooLong, Assert.Single(reader.Errors).Rule);
    }

    [Fact]
    public async Task Reads_asynchronously_through_small_reads()
    {
        var sb = new StringBuilder(Header);
        for (var i = 0; i < 1000; i++) sb.Append($"{Psa};{i % 10};24/11/1991;{i},5;True;\"A;{i}\"\n");
        await using var stream = new TrickleStream(Encoding.UTF8.GetBytes(sb.ToString()), 7);
        using var reader = new SndsCsvReader(stream, ClaimsWithNatLength(10), new CsvReadOptions { BatchSize = 300 });
        var rows = 0;
        double total = 0;
        await foreach (var batch in reader.ReadAllAsync())
        {
            rows += batch.Count;
            var amounts = batch.Column<DoubleColumn>("PRS_PAI_MNT");
            for (var i = 0; i < batch.Count; i++) total += amounts.Values[i];
            Assert.Equal($"A;{rows - batch.Count}", batch.Column<StringColumn>("PRS_NAT_REF").GetString(0));
        }
        Assert.Equal(1000, rows);
        Assert.Equal(Enumerable.Range(0, 1000).Sum(i => i + 0.5), total);
    }

    [Fact]
    public void Disposed_batches_are_refilled_without_stale_values()
    {
        var sb = new StringBuilder(Header);
        for (var i = 0; i < 10; i++) sb.Append(i == 5 ? $"{Psa};{i};24/11/1991;;False;\n" : $"{Psa};{i};24/11/1991;{i};True;N{i}\n");
        sb.Append($"{Psa};x;24/11/1991;1;True;A\n");
        using var reader = Reader(sb.ToString(), new CsvReadOptions { BatchSize = 4, OnError = RowErrorMode.Quarantine });
        var seen = new List<(long, double?, string?)>();
        var batches = new HashSet<RowBatch>(ReferenceEqualityComparer.Instance);
        var quarantined = 0;
        while (reader.ReadBatch() is { } batch)
        {
            batches.Add(batch);
            var rank = batch.Column<Int64Column>("BEN_RNG_GEM");
            var amount = batch.Column<DoubleColumn>("PRS_PAI_MNT");
            var nat = batch.Column<StringColumn>("PRS_NAT_REF");
            for (var i = 0; i < batch.Count; i++) seen.Add((rank.Values[i], amount.IsNull(i) ? null : amount.Values[i], nat.GetString(i)));
            quarantined += batch.Quarantined.Count;
            batch.Dispose();
        }
        Assert.Single(batches); // one set of arrays served every batch
        Assert.Equal(10, seen.Count);
        Assert.Equal((5L, (double?)null, (string?)null), seen[5]);
        Assert.Equal((6L, (double?)6, "N6"), seen[6]);
        Assert.Equal(1, quarantined);
    }

    [Fact]
    public void Datetime_year_yearmonth_and_month_columns()
    {
        var schema = new TableSchema("T",
        [
            new FieldSchema("DT", FieldType.DateTime), new FieldSchema("Y", FieldType.Year),
            new FieldSchema("YM", FieldType.YearMonth), new FieldSchema("M", FieldType.Month),
        ]);
        using var reader = new SndsCsvReader(new MemoryStream("DT,Y,YM,M\n11Jun1990:15:47:24,1962,200911,05\n01JAN1600:00:00:00,2020,202001,12\n"u8.ToArray()), schema);
        var batch = Assert.Single(reader.ReadAll());
        var dt = batch.Column<TimestampColumn>("DT");
        Assert.Equal(new DateTime(1990, 6, 11, 15, 47, 24), dt.GetDateTime(0));
        Assert.True(dt.IsMissingSentinel(1));
        Assert.Equal(1962, batch.Column<Int32Column>("Y").Values[0]);
        Assert.Equal(200911, batch.Column<Int32Column>("YM").Values[0]);
        Assert.Equal(5, batch.Column<Int32Column>("M").Values[0]);
        Assert.Equal(SndsDates.MissingDateTime, dt.Values[1]);
    }

    /// <summary>Returns at most a few bytes per read, like a slow network.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : Stream
    {
        private int _pos;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _pos; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, chunk), data.Length - _pos);
            Array.Copy(data, _pos, buffer, offset, n);
            _pos += n;
            return n;
        }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = Math.Min(Math.Min(buffer.Length, chunk), data.Length - _pos);
            data.AsSpan(_pos, n).CopyTo(buffer.Span);
            _pos += n;
            return ValueTask.FromResult(n);
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
