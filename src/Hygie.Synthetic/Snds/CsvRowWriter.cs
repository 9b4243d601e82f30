using System.Buffers.Text;
using System.Text;

namespace Hygie.Synthetic.Snds;

/// <summary>How a date is written: the SNDS's extracts mix these, column by column.</summary>
public enum SndsDateFormat
{
    /// <summary><c>24/11/1991</c></summary>
    Slashed,
    /// <summary><c>09032023</c> (ddMMyyyy)</summary>
    Compact,
    /// <summary><c>06DEC1959:00:00:00</c> (SAS DATETIME, month in capitals)</summary>
    SasDate,
    /// <summary><c>11Jun1990:15:47:24</c> (SAS DATETIME as some exports spell the month)</summary>
    SasDateTime,
}

/// <summary>
/// Writes <c>;</c>-separated rows as UTF-8 bytes into a buffer that the caller flushes between persons: no string per
/// value, and memory bounded by one person's rows. Values never hold the delimiter, a quote or a line break.
/// </summary>
internal sealed class CsvRowWriter(Stream output)
{
    private const int FlushAt = 1 << 19;
    private static readonly string[] Months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] MixedMonths = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    private byte[] _buffer = new byte[1 << 20];
    private int _length;
    private bool _rowStarted;

    public long Rows { get; private set; }
    public long Bytes { get; private set; }

    private Span<byte> Room(int bytes)
    {
        if (_length + bytes > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes));
        return _buffer.AsSpan(_length);
    }

    private void Separator()
    {
        if (_rowStarted)
        {
            Room(1)[0] = (byte)';';
            _length++;
        }
        _rowStarted = true;
    }

    public void Empty() => Separator();

    public void Text(string value)
    {
        Separator();
        _length += Encoding.UTF8.GetBytes(value, Room(Encoding.UTF8.GetMaxByteCount(value.Length)));
    }

    public void Char(char value)
    {
        Separator();
        Room(1)[0] = (byte)value;
        _length++;
    }

    public void Integer(long value)
    {
        Separator();
        Utf8Formatter.TryFormat(value, Room(20), out var written);
        _length += written;
    }

    /// <summary>Two digits, zero-padded (months, codes).</summary>
    public void TwoDigits(int value)
    {
        Separator();
        var room = Room(2);
        room[0] = (byte)('0' + value / 10 % 10);
        room[1] = (byte)('0' + value % 10);
        _length += 2;
    }

    /// <summary>Euros with two decimals (<c>17.50</c>) from cents.</summary>
    public void Amount(long cents)
    {
        Separator();
        var room = Room(24);
        var n = 0;
        if (cents < 0)
        {
            room[n++] = (byte)'-';
            cents = -cents;
        }
        Utf8Formatter.TryFormat(cents / 100, room[n..], out var written);
        n += written;
        room[n++] = (byte)'.';
        room[n++] = (byte)('0' + cents % 100 / 10);
        room[n++] = (byte)('0' + cents % 10);
        _length += n;
    }

    public void Number(decimal value)
    {
        Separator();
        Utf8Formatter.TryFormat(value, Room(32), out var written);
        _length += written;
    }

    public void Boolean(bool value) => Text(value ? "True" : "False");

    public void YearMonth(DateOnly date) => Integer(date.Year * 100 + date.Month);

    public void Date(DateOnly date, SndsDateFormat format, int secondsOfDay = 0)
    {
        Separator();
        var room = Room(20);
        var n = 0;
        void Two(Span<byte> s, int v) { s[n++] = (byte)('0' + v / 10); s[n++] = (byte)('0' + v % 10); }
        void Four(Span<byte> s, int v) { Two(s, v / 100); Two(s, v % 100); }
        switch (format)
        {
            case SndsDateFormat.Slashed:
                Two(room, date.Day); room[n++] = (byte)'/'; Two(room, date.Month); room[n++] = (byte)'/'; Four(room, date.Year);
                break;
            case SndsDateFormat.Compact:
                Two(room, date.Day); Two(room, date.Month); Four(room, date.Year);
                break;
            default:
                Two(room, date.Day);
                var month = (format == SndsDateFormat.SasDate ? Months : MixedMonths)[date.Month - 1];
                foreach (var c in month) room[n++] = (byte)c;
                Four(room, date.Year);
                room[n++] = (byte)':'; Two(room, secondsOfDay / 3600);
                room[n++] = (byte)':'; Two(room, secondsOfDay / 60 % 60);
                room[n++] = (byte)':'; Two(room, secondsOfDay % 60);
                break;
        }
        _length += n;
    }

    public void EndRow()
    {
        Room(1)[0] = (byte)'\n';
        _length++;
        _rowStarted = false;
        Rows++;
    }

    /// <summary>The header line, from the table's own column names.</summary>
    public void Header(IEnumerable<string> names)
    {
        foreach (var name in names) Text(name);
        Room(1)[0] = (byte)'\n';
        _length++;
        _rowStarted = false;
    }

    /// <summary>Writes the buffer out once it holds enough (between persons) or when <paramref name="force"/>.</summary>
    public async ValueTask FlushAsync(bool force, CancellationToken ct)
    {
        if (_length == 0 || (!force && _length < FlushAt)) return;
        await output.WriteAsync(_buffer.AsMemory(0, _length), ct);
        Bytes += _length;
        _length = 0;
        if (_buffer.Length > 1 << 22) _buffer = new byte[1 << 20]; // one huge person does not pin a huge buffer
    }
}
