using System.Text;
using Hygie.Ingest.BuiltIn;
using Hygie.Ingest.Columns;
using Hygie.Ingest.Csv;
using Hygie.Ingest.Schemas;

namespace Hygie.Ingest.Tests;

public class LargeStreamTests
{
    /// <summary>An ER_PRS_F-shaped CSV of <c>rows</c> rows, made on the fly as it is read: never held in memory.</summary>
    public sealed class GeneratedClaims(long rows) : Stream
    {
        public static readonly string Header = "BEN_NIR_PSA;BEN_RNG_GEM;EXE_SOI_DTD;EXE_SOI_DTF;PRS_NAT_REF;PRS_ACT_QTE;PRS_PAI_MNT;BSE_REM_MNT;PSE_SPE_COD;ETB_PRE_FIN;BEN_CMU_TOP;FLX_DIS_DTD\n";
        private readonly byte[] _pending = new byte[512];
        private int _pendingStart, _pendingEnd;
        private long _row = -1;
        public long BytesProduced { get; private set; }

        public static string PersonOf(long row) => "P" + (row % 300_000).ToString("D16");

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var written = 0;
            while (written < buffer.Length)
            {
                if (_pendingStart == _pendingEnd && !Produce()) break;
                var n = Math.Min(buffer.Length - written, _pendingEnd - _pendingStart);
                _pending.AsSpan(_pendingStart, n).CopyTo(buffer[written..]);
                _pendingStart += n;
                written += n;
            }
            BytesProduced += written;
            return written;
        }

        private bool Produce()
        {
            string line;
            if (_row < 0) line = Header;
            else if (_row >= rows) return false;
            else
            {
                var r = _row;
                var day = 1 + (int)(r % 28);
                var month = 1 + (int)(r / 28 % 12);
                line = $"{PersonOf(r)};{r % 3};{day:D2}/{month:D2}/2019;{day:D2}/{month:D2}/2019;{1000 + r % 900};{1 + r % 4};{r % 10000}.{r % 100:D2};{r % 500},5;{r % 80};{(r % 7 == 0 ? "" : "75000" + (r % 1000).ToString("D3"))};{(r % 2 == 0 ? "True" : "False")};{day:D2}{month:D2}2019\n";
            }
            _row++;
            _pendingStart = 0;
            _pendingEnd = Encoding.ASCII.GetBytes(line, _pending);
            return true;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesProduced; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    public static TableSchema ClaimsSchema()
    {
        var prs = BuiltInTables.Find("ER_PRS_F")!;
        var names = GeneratedClaims.Header.TrimEnd('\n').Split(';');
        return new TableSchema("ER_PRS_F", [.. names.Select(n => prs.Field(n)!)]);
    }

    [Fact]
    public void A_million_rows_stream_through_in_bounded_batches()
    {
        const int rows = 1_000_000;
        var source = new GeneratedClaims(rows);
        using var reader = new SndsCsvReader(source, ClaimsSchema(), new CsvReadOptions { FileName = "generated.csv" });
        long count = 0, batches = 0, sumQuantity = 0, nullEtb = 0, trues = 0;
        var maxBatch = 0;
        foreach (var batch in reader.ReadAll())
        {
            batches++;
            maxBatch = Math.Max(maxBatch, batch.Count);
            var quantity = batch.Column<DoubleColumn>("PRS_ACT_QTE");
            var etb = batch.Column<StringColumn>("ETB_PRE_FIN");
            var cmu = batch.Column<BooleanColumn>("BEN_CMU_TOP");
            for (var i = 0; i < batch.Count; i++)
            {
                sumQuantity += (long)quantity.Values[i];
                if (cmu.Values[i]) trues++;
            }
            nullEtb += etb.NullCount;
            var first = count;
            Assert.Equal(GeneratedClaims.PersonOf(first), batch.Column<StringColumn>("BEN_NIR_PSA").GetString(0));
            Assert.Equal(first + 2, batch.Lines[0]);
            count += batch.Count;
        }
        Assert.Equal(rows, count);
        Assert.Equal(rows, reader.RowsAccepted);
        Assert.Equal((rows + 65_535) / 65_536, batches);
        Assert.Equal(65_536, maxBatch);
        Assert.Equal(Enumerable.Range(0, rows).Sum(r => 1L + r % 4), sumQuantity);
        Assert.Equal(Enumerable.Range(0, rows).Count(r => r % 7 == 0), nullEtb);
        Assert.Equal(rows / 2, trues);
        Assert.True(source.BytesProduced > 80_000_000, $"{source.BytesProduced} bytes");
    }
}
