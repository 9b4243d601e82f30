using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Unicode;
using Hygie.Core.Errors;
using Hygie.Ingest.Columns;
using Hygie.Ingest.Schemas;

namespace Hygie.Ingest.Csv;

/// <summary>
/// Streams a CSV table (SNDS extracts: <c>;</c> or <c>,</c>, UTF-8) into typed <see cref="RowBatch"/>es checked against a
/// <see cref="TableSchema"/>. Holds one read buffer (1 MiB, growing only for a row longer than it, up to
/// <see cref="CsvReadOptions.MaxRowBytes"/>) and the batch being filled: memory does not depend on the input's size.
/// <para>Reading works on the UTF-8 bytes: rows without quotes are cut with vectorized searches; RFC 4180 quoting
/// (<c>"a;b"</c>, <c>""</c> for a quote, line breaks inside quotes) is handled row by row; UTF-8 is validated a buffer at
/// a time. CRLF and LF line ends, a UTF-8 byte order mark and a missing final line end are accepted; blank lines are
/// skipped.</para>
/// <para>Refused before any row: an empty input, a header that does not match the schema (missing or unexpected
/// columns named; column order is free, names compare case-insensitively), a header with a duplicate column
/// (<see cref="ValidationFailedException"/>). Refused rows: see <see cref="RowErrorMode"/>.</para>
/// </summary>
public sealed class SndsCsvReader : IDisposable
{
    private static ReadOnlySpan<byte> Bom => [0xEF, 0xBB, 0xBF];

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly TableSchema _schema;
    private readonly CsvReadOptions _options;
    private readonly string _file;
    private readonly List<RowError> _errors = [];

    private byte[] _buf;
    private int _pos, _end;
    private bool _eof;
    private long _line = 1;
    private int _validUntil, _suspectUntil;

    private bool _headerRead;
    private byte _delim;
    private string[] _header = [];
    private int _columnCount;
    private int[] _map = [];              // header position → batch column, or −1 (ignored)
    private FieldSchema[] _fields = [];   // batch column → field
    private int[] _fieldStart = [], _fieldEnd = [];
    private bool[] _fieldEscaped = [];
    private byte[][] _missing = [];
    private bool _emptyIsMissing;
    private byte[] _scratch = new byte[256];
    private readonly List<RowError> _rowErrors = [];
    private readonly Stack<RowBatch> _recycled = new();
    private int[] _maxChars = [];          // batch column → max characters, or int.MaxValue
    private bool[] _required = [];
    private bool[] _text = [];

    private bool _failing;
    private bool _skipping;
    private bool _anyEscaped;
    private bool _errorsTruncated;
    private bool _done;

    public SndsCsvReader(Stream stream, TableSchema schema, CsvReadOptions? options = null, bool leaveOpen = false)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        _schema = schema ?? throw new ArgumentNullException(nameof(schema));
        _options = options ?? CsvReadOptions.Default;
        if (_options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1");
        if (_options.MaxErrors < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxErrors must be at least 1");
        if (_options.Delimiter is { } d && (d > 0x7f || d is '"' or '\r' or '\n'))
            throw new ArgumentOutOfRangeException(nameof(options), "the delimiter is one ASCII character other than a quote or a line end");
        _leaveOpen = leaveOpen;
        _file = _options.FileName;
        _buf = new byte[Math.Max(4096, Math.Min(_options.BufferSize, _options.MaxRowBytes * 2))];
    }

    public TableSchema Schema => _schema;

    /// <summary>The delimiter in use (after the header is read).</summary>
    public char Delimiter => (char)_delim;

    /// <summary>The header's column names as read.</summary>
    public IReadOnlyList<string> Header => _header;

    /// <summary>Data rows seen so far (blank lines excluded).</summary>
    public long RowsRead { get; private set; }
    public long RowsAccepted { get; private set; }
    public long RowsRejected { get; private set; }

    /// <summary>Lines read so far, header included.</summary>
    public long LinesRead => _line - 1;

    /// <summary>The first <see cref="CsvReadOptions.MaxErrors"/> row errors met so far.</summary>
    public IReadOnlyList<RowError> Errors => _errors;

    /// <summary>Reads the header now (it is read by the first <see cref="ReadBatch"/> otherwise).</summary>
    public void ReadHeader() => ReadHeaderCoreAsync(false, default).GetAwaiter().GetResult();

    public ValueTask ReadHeaderAsync(CancellationToken cancellationToken = default) => ReadHeaderCoreAsync(true, cancellationToken);

    /// <summary>The next batch, or null at the end. Throws <see cref="RowErrorsException"/> in
    /// <see cref="RowErrorMode.Fail"/> once a bad row is found (after collecting up to MaxErrors errors).</summary>
    public RowBatch? ReadBatch() => ReadBatchCoreAsync(false, default).GetAwaiter().GetResult();

    public ValueTask<RowBatch?> ReadBatchAsync(CancellationToken cancellationToken = default) => ReadBatchCoreAsync(true, cancellationToken);

    public IEnumerable<RowBatch> ReadAll()
    {
        while (ReadBatch() is { } batch) yield return batch;
    }

    public async IAsyncEnumerable<RowBatch> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await ReadBatchAsync(cancellationToken).ConfigureAwait(false) is { } batch) yield return batch;
    }

    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }

    // ---------------------------------------------------------------- buffer

    /// <summary>Moves the unread bytes to the front, grows the buffer if it is full, reads more. False at the end.</summary>
    private async ValueTask<bool> FillAsync(bool useAsync, CancellationToken ct)
    {
        if (_eof) return false;
        if (_pos > 0)
        {
            var keep = _end - _pos;
            Buffer.BlockCopy(_buf, _pos, _buf, 0, keep);
            _validUntil = Math.Max(0, _validUntil - _pos);
            _suspectUntil = Math.Max(0, _suspectUntil - _pos);
            _pos = 0;
            _end = keep;
        }
        if (_end == _buf.Length) Array.Resize(ref _buf, _buf.Length * 2);
        var n = useAsync
            ? await _stream.ReadAsync(_buf.AsMemory(_end), ct).ConfigureAwait(false)
            : _stream.Read(_buf, _end, _buf.Length - _end);
        if (n == 0)
        {
            _eof = true;
            return false;
        }
        _end += n;
        return true;
    }

    // ---------------------------------------------------------------- header

    private async ValueTask ReadHeaderCoreAsync(bool useAsync, CancellationToken ct)
    {
        if (_headerRead) return;
        // the whole first line in the buffer
        while (true)
        {
            var nl = _buf.AsSpan(_pos, _end - _pos).IndexOf((byte)'\n');
            if (nl >= 0 || _eof) break;
            if (_end - _pos > _options.MaxRowBytes) throw Refuse($"{_file}: the header line is longer than {_options.MaxRowBytes} bytes", "header-too-long");
            await FillAsync(useAsync, ct).ConfigureAwait(false);
        }
        if (_buf.AsSpan(_pos, _end - _pos).StartsWith(Bom)) _pos += 3;

        var avail = _buf.AsSpan(_pos, _end - _pos);
        var lineLength = avail.IndexOf((byte)'\n');
        var consumed = lineLength < 0 ? avail.Length : lineLength + 1;
        var line = lineLength < 0 ? avail : avail[..lineLength];
        if (line.EndsWith("\r"u8)) line = line[..^1];
        if (line.IndexOfAnyExcept((byte)' ', (byte)'\t') < 0)
            throw Refuse(_eof && consumed == avail.Length && avail.TrimEnd("\r\n \t"u8).IsEmpty
                ? $"{_file}: the file is empty: a header line naming the columns is expected"
                : $"{_file}: the first line is blank: a header line naming the columns is expected", "empty-file");
        if (!Utf8.IsValid(line)) throw Refuse($"{_file}: the header line is not UTF-8", "header-mismatch");

        _delim = _options.Delimiter is { } d ? (byte)d : DetectDelimiter(line);
        var names = SplitHeader(line, _delim);
        _header = [.. names];
        _pos += consumed;
        _line = 2;
        _validUntil = _suspectUntil = _pos;
        MapHeader(names);
        _headerRead = true;
    }

    private byte DetectDelimiter(ReadOnlySpan<byte> line)
    {
        byte best = (byte)';';
        (int matches, int count) bestScore = (-1, -1);
        foreach (var candidate in ";,\t|"u8)
        {
            var names = SplitHeader(line, candidate);
            var matches = names.Count(n => _schema.IndexOf(n) >= 0);
            var score = (matches, names.Count);
            if (score.matches > bestScore.matches || (score.matches == bestScore.matches && score.Count > bestScore.count))
            {
                bestScore = score;
                best = candidate;
            }
        }
        return best;
    }

    private static List<string> SplitHeader(ReadOnlySpan<byte> line, byte delim)
    {
        var names = new List<string>();
        var p = 0;
        while (true)
        {
            string name;
            if (p < line.Length && line[p] == '"')
            {
                var sb = new StringBuilder();
                p++;
                while (p < line.Length)
                {
                    if (line[p] == '"')
                    {
                        if (p + 1 < line.Length && line[p + 1] == '"') { sb.Append('"'); p += 2; continue; }
                        p++;
                        break;
                    }
                    var start = p;
                    while (p < line.Length && line[p] != '"') p++;
                    sb.Append(Encoding.UTF8.GetString(line[start..p]));
                }
                name = sb.ToString();
                var next = line[p..].IndexOf(delim);
                p = next < 0 ? line.Length + 1 : p + next + 1;
            }
            else
            {
                var next = line[Math.Min(p, line.Length)..].IndexOf(delim);
                var end = next < 0 ? line.Length : p + next;
                name = Encoding.UTF8.GetString(line[p..end]);
                p = next < 0 ? line.Length + 1 : end + 1;
            }
            names.Add(name.Trim());
            if (p > line.Length) break;
        }
        return names;
    }

    private void MapHeader(List<string> names)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var duplicates = names.Where(n => !seen.Add(n)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (duplicates.Count > 0)
            throw HeaderMismatch($"the header names {string.Join(", ", duplicates)} twice", [], [], duplicates[0]);

        var extra = names.Where(n => _schema.IndexOf(n) < 0).ToList();
        var present = new HashSet<string>(names, StringComparer.OrdinalIgnoreCase);
        var missing = _schema.Fields.Where(f => !present.Contains(f.Name)).Select(f => f.Name).ToList();
        var missingNotAllowed = _options.AllowMissingColumns ? missing.Where(m => _schema.Field(m)!.Required).ToList() : missing;
        var extraNotAllowed = _options.IgnoreExtraColumns ? [] : extra;
        if (missingNotAllowed.Count > 0 || extraNotAllowed.Count > 0)
        {
            var parts = new List<string>();
            if (missingNotAllowed.Count > 0) parts.Add($"missing column{(missingNotAllowed.Count > 1 ? "s" : "")} {string.Join(", ", missingNotAllowed)}");
            if (extraNotAllowed.Count > 0) parts.Add($"unexpected column{(extraNotAllowed.Count > 1 ? "s" : "")} {string.Join(", ", extraNotAllowed)}");
            throw HeaderMismatch(string.Join("; ", parts), missingNotAllowed, extraNotAllowed, missingNotAllowed.Concat(extraNotAllowed).First());
        }

        // batch columns in schema order
        var ordered = _schema.Fields.Where(f => present.Contains(f.Name)).ToList();
        _fields = [.. ordered];
        _columnCount = names.Count;
        _map = new int[_columnCount];
        for (var i = 0; i < _columnCount; i++)
            _map[i] = ordered.FindIndex(f => string.Equals(f.Name, names[i], StringComparison.OrdinalIgnoreCase));
        _maxChars = [.. _fields.Select(f => f.MaxChars ?? int.MaxValue)];
        _required = [.. _fields.Select(f => f.Required)];
        _text = [.. _fields.Select(f => f.Type is FieldType.String or FieldType.Any)];
        _fieldStart = new int[_columnCount + 1];
        _fieldEnd = new int[_columnCount + 1];
        _fieldEscaped = new bool[_columnCount + 1];
        _emptyIsMissing = _schema.MissingValues.Contains("");
        _missing = [.. _schema.MissingValues.Where(v => v.Length > 0).Select(Encoding.UTF8.GetBytes)];
    }

    private ValidationFailedException HeaderMismatch(string what, List<string> missing, List<string> extra, string field)
    {
        var e = Refuse($"{_file}: the header does not match table {_schema.Name}: {what}", "header-mismatch", field);
        e.Extensions["missing"] = missing;
        e.Extensions["unexpected"] = extra;
        return e;
    }

    private ValidationFailedException Refuse(string message, string code, string? field = null)
    {
        var e = new ValidationFailedException(message, field, code);
        e.Extensions["file"] = _file;
        return e;
    }

    // ---------------------------------------------------------------- rows

    private enum Step { NeedData, Full, End }

    private async ValueTask<RowBatch?> ReadBatchCoreAsync(bool useAsync, CancellationToken ct)
    {
        await ReadHeaderCoreAsync(useAsync, ct).ConfigureAwait(false);
        if (_done) return null;
        var batch = NewBatch();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var step = ParseRows(batch);
            if (step == Step.NeedData)
            {
                await FillAsync(useAsync, ct).ConfigureAwait(false);
                continue;
            }
            if (step == Step.End) _done = true;
            break;
        }
        if (_failing)
        {
            _done = true;
            throw new RowErrorsException(_file, _errors, _errorsTruncated || (_errors.Count >= _options.MaxErrors && !IsAtEnd));
        }
        batch.Commit();
        if (batch.Count == 0 && batch.QuarantinedRows.Count == 0) return null;
        return batch;
    }

    private bool IsAtEnd => _eof && _pos >= _end;

    private RowBatch NewBatch()
    {
        lock (_recycled)
        {
            if (_recycled.Count > 0)
            {
                var reused = _recycled.Pop();
                reused.Reset();
                return reused;
            }
        }
        var capacity = _options.BatchSize;
        var columns = new ColumnVector[_fields.Length];
        for (var i = 0; i < columns.Length; i++) columns[i] = ColumnVector.Create(_fields[i], capacity);
        return new RowBatch(_schema, columns, capacity, Recycle);
    }

    private void Recycle(RowBatch batch)
    {
        lock (_recycled)
            if (_recycled.Count < 4) _recycled.Push(batch);
    }

    private Step ParseRows(RowBatch batch)
    {
        var delim = _delim;
        while (true)
        {
            if (_failing ? _errors.Count >= _options.MaxErrors : batch.Count >= _options.BatchSize) return _failing ? Step.End : Step.Full;
            if (_skipping && !SkipToLineEnd()) return _eof ? Step.End : Step.NeedData;
            var avail = _buf.AsSpan(_pos, _end - _pos);
            if (avail.IsEmpty) return _eof ? Step.End : Step.NeedData;

            int recordLength, consumed, lines = 1, fields;
            var hit = avail.IndexOfAny((byte)'\n', (byte)'"');
            if (hit >= 0 && avail[hit] == '\n')
            {
                recordLength = hit;
                consumed = hit + 1;
                if (recordLength > 0 && avail[recordLength - 1] == '\r') recordLength--;
                fields = Split(avail[..recordLength], delim);
            }
            else if (hit < 0)
            {
                if (!_eof)
                {
                    if (avail.Length > _options.MaxRowBytes) { RefuseLongRow(batch); continue; }
                    return Step.NeedData;
                }
                recordLength = avail.Length;
                consumed = avail.Length;
                if (recordLength > 0 && avail[recordLength - 1] == '\r') recordLength--;
                fields = Split(avail[..recordLength], delim);
            }
            else
            {
                var quoted = SplitQuoted(avail, delim, out recordLength, out consumed, out lines, out fields, out var quotingError);
                if (quoted == QuotedResult.NeedData)
                {
                    if (avail.Length <= _options.MaxRowBytes) return Step.NeedData;
                    quoted = QuotedResult.Error;
                    quotingError = "a quoted field is not closed within the row size limit";
                    ResyncAfterQuote(avail, out recordLength, out consumed, out lines);
                }
                if (quoted == QuotedResult.Error)
                {
                    RowsRead++;
                    Reject(batch, avail[..recordLength], [Error(null, $"row of {recordLength} bytes", RowRule.Quoting, quotingError!)]);
                    Advance(consumed, lines);
                    continue;
                }
            }

            var record = avail[..recordLength];
            if (recordLength == 0 && _columnCount > 1)
            {
                Advance(consumed, lines); // blank line
                continue;
            }
            RowsRead++;
            if (!IsValidUtf8(_pos, _pos + consumed))
            {
                Reject(batch, record, [Error(FirstInvalidColumn(fields), $"row of {recordLength} bytes", RowRule.Utf8, "the row holds bytes that are not UTF-8")]);
            }
            else if (fields != _columnCount)
            {
                Reject(batch, record, [Error(null, $"{fields} field{(fields > 1 ? "s" : "")}", RowRule.ColumnCount, $"expected {_columnCount} fields as in the header")]);
            }
            else
            {
                ParseFields(batch, record);
            }
            Advance(consumed, lines);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Advance(int consumed, int lines)
    {
        _pos += consumed;
        _line += lines;
    }

    /// <summary>Cuts an unquoted record at the delimiter; field bounds are absolute buffer offsets. Returns the count.</summary>
    private int Split(ReadOnlySpan<byte> record, byte delim)
    {
        var max = _columnCount;
        var starts = _fieldStart;
        var ends = _fieldEnd;
        var f = 0;
        var fieldStart = 0;
        var baseOffset = _pos;
        var length = record.Length;
        ref var r0 = ref MemoryMarshal.GetReference(record);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var d = Vector256.Create(delim);
            for (; i + Vector256<byte>.Count <= length; i += Vector256<byte>.Count)
            {
                var mask = Vector256.Equals(Vector256.LoadUnsafe(ref r0, (nuint)i), d).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    var at = i + BitOperations.TrailingZeroCount(mask);
                    if (f < max)
                    {
                        starts[f] = baseOffset + fieldStart;
                        ends[f] = baseOffset + at;
                    }
                    f++;
                    fieldStart = at + 1;
                    mask &= mask - 1;
                }
            }
        }
        for (; i < length; i++)
        {
            if (Unsafe.Add(ref r0, i) != delim) continue;
            if (f < max)
            {
                starts[f] = baseOffset + fieldStart;
                ends[f] = baseOffset + i;
            }
            f++;
            fieldStart = i + 1;
        }
        if (f < max)
        {
            starts[f] = baseOffset + fieldStart;
            ends[f] = baseOffset + length;
        }
        f++;
        if (_anyEscaped)
        {
            Array.Clear(_fieldEscaped);
            _anyEscaped = false;
        }
        return f;
    }

    private enum QuotedResult { Ok, NeedData, Error }

    /// <summary>RFC 4180 cutting of a record that holds a quote. Bounds of quoted fields exclude the quotes.</summary>
    private QuotedResult SplitQuoted(ReadOnlySpan<byte> s, byte delim, out int recordLength, out int consumed, out int lines, out int fields, out string? error)
    {
        var max = _columnCount;
        var p = 0;
        var f = 0;
        lines = 1;
        error = null;
        recordLength = consumed = fields = 0;
        while (true)
        {
            int start, end;
            var escaped = false;
            if (p < s.Length && s[p] == '"')
            {
                var open = p;
                p++;
                start = p;
                while (true)
                {
                    var q = s[p..].IndexOf((byte)'"');
                    if (q < 0)
                    {
                        if (!_eof) return QuotedResult.NeedData;
                        error = "a quoted field is not closed before the end of the input";
                        ResyncAt(s, open, out recordLength, out consumed, out lines);
                        return QuotedResult.Error;
                    }
                    lines += s.Slice(p, q).Count((byte)'\n');
                    p += q + 1;
                    if (p == s.Length && !_eof) return QuotedResult.NeedData;
                    if (p < s.Length && s[p] == '"') { escaped = true; p++; continue; }
                    break;
                }
                end = p - 1;
                // after the closing quote: a delimiter, a line end or the end of input
                if (p < s.Length && s[p] != delim && s[p] != '\n' && !(s[p] == '\r' && (p + 1 == s.Length || s[p + 1] == '\n')))
                {
                    if (s[p] == '\r' && p + 1 == s.Length && !_eof) return QuotedResult.NeedData;
                    error = "text after the closing quote of a field";
                    ResyncAt(s, p, out recordLength, out consumed, out lines);
                    return QuotedResult.Error;
                }
            }
            else
            {
                start = p;
                var next = s[p..].IndexOfAny(delim, (byte)'\n', (byte)'"');
                if (next < 0)
                {
                    if (!_eof) return QuotedResult.NeedData;
                    p = s.Length;
                }
                else
                {
                    p += next;
                    if (s[p] == '"')
                    {
                        error = "a quote inside an unquoted field";
                        ResyncAt(s, p, out recordLength, out consumed, out lines);
                        return QuotedResult.Error;
                    }
                }
                end = p;
                if (p < s.Length && s[p] == '\n' && end > start && s[end - 1] == '\r') end--;
                if (p == s.Length && end > start && s[end - 1] == '\r') end--;
            }
            if (f < max)
            {
                _fieldStart[f] = _pos + start;
                _fieldEnd[f] = _pos + end;
                _fieldEscaped[f] = escaped;
                _anyEscaped |= escaped;
            }
            f++;
            if (p >= s.Length)
            {
                recordLength = consumed = s.Length;
                if (recordLength > 0 && s[recordLength - 1] == '\r') recordLength--;
                fields = f;
                return QuotedResult.Ok;
            }
            if (s[p] == delim) { p++; continue; }
            // line end: \n or \r\n
            fields = f;
            if (s[p] == '\r')
            {
                recordLength = p;
                consumed = p + 1 < s.Length ? p + 2 : p + 1;
            }
            else
            {
                recordLength = p > 0 && s[p - 1] == '\r' ? p - 1 : p;
                consumed = p + 1;
            }
            return QuotedResult.Ok;
        }
    }

    /// <summary>A quoting error at <paramref name="at"/>: the bad row runs to the first line end at or after it.</summary>
    private static void ResyncAt(ReadOnlySpan<byte> s, int at, out int recordLength, out int consumed, out int lines)
    {
        var nl = s[at..].IndexOf((byte)'\n');
        if (nl < 0) recordLength = consumed = s.Length;
        else
        {
            recordLength = at + nl;
            consumed = recordLength + 1;
        }
        if (recordLength > 0 && s[recordLength - 1] == '\r') recordLength--;
        lines = 1 + s[..recordLength].Count((byte)'\n');
    }

    /// <summary>An unterminated quote past the row size limit: the bad row is the line where the record starts.</summary>
    private static void ResyncAfterQuote(ReadOnlySpan<byte> s, out int recordLength, out int consumed, out int lines)
    {
        var nl = s.IndexOf((byte)'\n');
        recordLength = nl < 0 ? s.Length : nl;
        consumed = nl < 0 ? s.Length : nl + 1;
        if (recordLength > 0 && s[recordLength - 1] == '\r') recordLength--;
        lines = 1;
    }

    /// <summary>A row longer than the limit without a line end in sight: refuse it, then skip to the next line end.</summary>
    private void RefuseLongRow(RowBatch batch)
    {
        RowsRead++;
        Reject(batch, [], [new RowError(_file, _line, null, $"more than {_options.MaxRowBytes} bytes", RowRule.RowTooLong, $"rows are at most {_options.MaxRowBytes} bytes")], quarantineRaw: false);
        _skipping = true;
    }

    /// <summary>Discards bytes up to the next line end; false when more input is needed.</summary>
    private bool SkipToLineEnd()
    {
        var nl = _buf.AsSpan(_pos, _end - _pos).IndexOf((byte)'\n');
        if (nl < 0)
        {
            _pos = _end;
            return _eof;
        }
        Advance(nl + 1, 1);
        _skipping = false;
        return true;
    }

    private bool IsValidUtf8(int start, int end)
    {
        if (end <= _validUntil) return true;
        if (start >= _suspectUntil)
        {
            // validate from here to the last line end in the buffer in one go
            var rest = _buf.AsSpan(start, _end - start);
            var lastNl = rest.LastIndexOf((byte)'\n');
            var regionEnd = lastNl >= 0 ? start + lastNl + 1 : _end;
            if (regionEnd < end) regionEnd = end;
            if (Utf8.IsValid(_buf.AsSpan(start, regionEnd - start)))
            {
                _validUntil = regionEnd;
                return true;
            }
            _suspectUntil = regionEnd;
        }
        return Utf8.IsValid(_buf.AsSpan(start, end - start));
    }

    private string? FirstInvalidColumn(int fields)
    {
        for (var i = 0; i < Math.Min(fields, _columnCount); i++)
            if (!Utf8.IsValid(_buf.AsSpan(_fieldStart[i], _fieldEnd[i] - _fieldStart[i]))) return _header[i];
        return null;
    }

    private void ParseFields(RowBatch batch, ReadOnlySpan<byte> record)
    {
        var row = batch.Count;
        var columns = batch.ColumnArray;
        var map = _map;
        var starts = _fieldStart;
        var ends = _fieldEnd;
        var buffer = _buf;
        // the per-field loop runs a billion times for a 10M-row claims table: state read once per row
        var anyEscaped = _anyEscaped;
        var escapedFields = _fieldEscaped;
        var text = _text;
        var required = _required;
        var maxChars = _maxChars;
        var hasMissingValues = _missing.Length > 0;
        var enforce = _options.EnforceConstraints;
        var errors = false;
        for (var h = 0; h < map.Length; h++)
        {
            var c = map[h];
            if (c < 0) continue;
            ReadOnlySpan<byte> value = buffer.AsSpan(starts[h], ends[h] - starts[h]);
            if (anyEscaped && escapedFields[h]) value = Unescape(value);
            var column = columns[c];
            if (value.IsEmpty || hasMissingValues || (value[0] == ' ' && !text[c]))
            {
                if (IsMissing(value, c))
                {
                    if (required[c]) errors |= AddRowError(c, value, RowRule.Required, "a value is required");
                    else column.SetNull(row);
                    continue;
                }
            }
            if (!column.TryParseValue(row, value))
            {
                errors |= AddRowError(c, value, TypeRule(_fields[c].Type), $"not a valid {_fields[c].Type.ToSchemaName()}");
                continue;
            }
            if (value.Length > maxChars[c] && Encoding.UTF8.GetCharCount(value) > maxChars[c])
                errors |= AddRowError(c, value, RowRule.MaxLength, $"at most {maxChars[c]} chars");
            if (enforce) errors |= CheckConstraints(column, row, value, _fields[c]);
        }
        if (errors)
        {
            Reject(batch, record, [.. _rowErrors]);
            _rowErrors.Clear();
            return;
        }
        if (_failing) return; // the input is refused: good rows after the first bad one are only checked
        batch.Lines[row] = _line;
        batch.Count = row + 1;
        RowsAccepted++;
    }

    private bool AddRowError(int column, ReadOnlySpan<byte> value, RowRule rule, string detail)
    {
        var field = _fields[column];
        _rowErrors.Add(Error(field.Name, Describe(value, field), rule, detail));
        return true;
    }

    private bool CheckConstraints(ColumnVector column, int row, ReadOnlySpan<byte> value, FieldSchema field)
    {
        var before = _rowErrors.Count;
        double? number = column switch
        {
            Int64Column l => l.Values[row],
            DoubleColumn d => d.Values[row],
            Int32Column i => i.Values[row],
            _ => null,
        };
        if (number is { } n)
        {
            if (field.Minimum is { } min && n < min) _rowErrors.Add(Error(field.Name, Describe(value, field), RowRule.Minimum, $"at least {min}"));
            if (field.Maximum is { } max && n > max) _rowErrors.Add(Error(field.Name, Describe(value, field), RowRule.Maximum, $"at most {max}"));
        }
        if (field.MinLength is { } minLength && field.MaxChars is not null && Encoding.UTF8.GetCharCount(value) < minLength)
            _rowErrors.Add(Error(field.Name, Describe(value, field), RowRule.MinLength, $"at least {minLength} chars"));
        if (field.Enum is { Count: > 0 } values)
        {
            var text = Encoding.UTF8.GetString(value);
            if (!values.Contains(text)) _rowErrors.Add(Error(field.Name, Describe(value, field), RowRule.Enum, $"one of the {values.Count} values the schema lists"));
        }
        return _rowErrors.Count > before;
    }

    private bool IsMissing(ReadOnlySpan<byte> value, int column)
    {
        if (value.IsEmpty) return _emptyIsMissing;
        foreach (var m in _missing)
            if (value.SequenceEqual(m)) return true;
        // blank cells of non-text columns (fixed-width exports pad with spaces)
        if (value[0] == ' ' && !_text[column] && value.IndexOfAnyExcept((byte)' ') < 0) return _emptyIsMissing;
        return false;
    }

    private ReadOnlySpan<byte> Unescape(ReadOnlySpan<byte> value)
    {
        if (_scratch.Length < value.Length) _scratch = new byte[Math.Max(value.Length, _scratch.Length * 2)];
        var n = 0;
        for (var i = 0; i < value.Length; i++)
        {
            _scratch[n++] = value[i];
            if (value[i] == '"' && i + 1 < value.Length && value[i + 1] == '"') i++;
        }
        return _scratch.AsSpan(0, n);
    }

    private static RowRule TypeRule(FieldType type) => type switch
    {
        FieldType.Integer => RowRule.Integer,
        FieldType.Number => RowRule.Number,
        FieldType.Boolean => RowRule.Boolean,
        FieldType.Date => RowRule.Date,
        FieldType.DateTime => RowRule.DateTime,
        FieldType.Year => RowRule.Year,
        FieldType.YearMonth => RowRule.YearMonth,
        FieldType.Month => RowRule.Month,
        _ => RowRule.MaxLength,
    };

    private static string Describe(ReadOnlySpan<byte> value, FieldSchema field) => ValueClass.Describe(value, field.IsIdentifier);

    private RowError Error(string? column, string valueClass, RowRule rule, string detail) =>
        new(_file, _line, column, valueClass, rule, detail);

    private void Reject(RowBatch batch, ReadOnlySpan<byte> raw, List<RowError> errors, bool quarantineRaw = true)
    {
        RowsRejected++;
        foreach (var e in errors)
        {
            if (_errors.Count < _options.MaxErrors) _errors.Add(e);
            else _errorsTruncated = true;
        }
        if (_options.OnError == RowErrorMode.Fail)
        {
            _failing = true;
            return;
        }
        batch.QuarantinedRows.Add(new QuarantinedRow(_line, quarantineRaw ? raw.ToArray() : [], errors));
    }
}
