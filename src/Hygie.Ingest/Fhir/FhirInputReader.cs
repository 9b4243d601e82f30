using System.Buffers;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;

namespace Hygie.Ingest.Fhir;

/// <summary>
/// Reads the resources of one deposited file, streaming: a sequence of JSON objects (one, as a <c>.json</c> file holds,
/// or one per line, as NDJSON holds), each a resource or a Bundle of type <c>transaction</c>, <c>batch</c> or
/// <c>collection</c> whose entries are read one at a time (a Bundle whose first member is <c>resourceType</c>, as FHIR
/// JSON writes it, is never held whole). Every resource is parsed strictly; an entry without a resource or that asks
/// for an operation (DELETE, GET, HEAD, PATCH, <c>$operation</c>) is refused: a deposit carries data, not requests.
/// Memory: one buffer, as large as the largest entry (at most <see cref="MaxValueBytes"/>).
/// </summary>
public sealed class FhirInputReader
{
    private static readonly JsonReaderOptions JsonOptions = new() { MaxDepth = 128 };
    private static readonly byte[] WrapperHead = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["u8.ToArray();
    private static readonly byte[] WrapperTail = "]}"u8.ToArray();
    private const string WrapperPath = "Bundle.entry[0]";

    private enum Mode { Top, BundleMembers, Entries }

    private enum Step { Item, Continue, NeedMore, End }

    private readonly Stream _stream;
    private readonly string _file;
    private byte[] _buffer = new byte[1 << 20];
    private int _start, _end;
    private bool _eof, _bomChecked;
    private long _line = 1;
    private Mode _mode = Mode.Top;
    private JsonReaderState _state;
    private int _entry;
    private long _bundleLine;
    private bool _bundleTyped;
    private readonly ArrayBufferWriter<byte> _envelope = new();
    private readonly Queue<FhirInputItem> _pending = new();
    private FhirInputItem? _item;

    public FhirInputReader(Stream stream, string fileName)
    {
        _stream = stream;
        _file = fileName;
    }

    /// <summary>The largest resource or Bundle entry accepted, in bytes of JSON.</summary>
    public int MaxValueBytes { get; init; } = 64 << 20;

    public string FileName => _file;
    public long BytesRead { get; private set; }
    public int Bundles { get; private set; }

    /// <summary>The next resource, or null at the end of the file.</summary>
    public async ValueTask<FhirInputItem?> ReadAsync(CancellationToken ct = default)
    {
        while (true)
        {
            if (_pending.TryDequeue(out var queued)) return queued;
            switch (Next())
            {
                case Step.Item:
                    var item = _item!;
                    _item = null;
                    return item;
                case Step.End:
                    return null;
                case Step.NeedMore:
                    if (_eof) throw new FhirDepositException(_mode == Mode.Entries ? Here(_entry) : Here(), _mode == Mode.Top ? "the file ends inside a JSON value" : "the file ends inside the Bundle");
                    await FillAsync(ct);
                    break;
            }
        }
    }

    private FhirLocation Here(int? entry = null, long? line = null) => new(_file, entry, line ?? _line, null);

    private async Task FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= MaxValueBytes)
                throw new FhirDepositException(_mode == Mode.Entries ? Here(_entry) : Here(),
                    $"a resource or Bundle entry is larger than {MaxValueBytes >> 20} MiB of JSON");
            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxValueBytes));
        }
        var n = await _stream.ReadAsync(_buffer.AsMemory(_end), ct);
        if (n == 0) _eof = true;
        _end += n;
        BytesRead += n;
    }

    private void Advance(long count)
    {
        var n = (int)count;
        _line += _buffer.AsSpan(_start, n).Count((byte)'\n');
        _start += n;
    }

    private Step Next()
    {
        try
        {
            return _mode switch
            {
                Mode.Top => Top(),
                Mode.BundleMembers => BundleMember(),
                _ => Entry(),
            };
        }
        catch (JsonException e)
        {
            // the reader counts lines from the start of the top-level value its state began with
            var line = (_mode == Mode.Top ? _line : _bundleLine) + (e.LineNumber ?? 0);
            throw new FhirDepositException(_mode == Mode.Entries ? Here(_entry, line) : Here(line: line), $"not valid JSON (line {line})");
        }
    }

    private Step Top()
    {
        if (!_bomChecked)
        {
            if (_end - _start < 3 && !_eof) return Step.NeedMore;
            _bomChecked = true;
            if (_buffer.AsSpan(_start, _end - _start).StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) _start += 3;
        }
        while (_start < _end && _buffer[_start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') Advance(1);
        if (_start == _end) return _eof ? Step.End : Step.NeedMore;
        if (_buffer[_start] != (byte)'{') throw new FhirDepositException(Here(), "expected a FHIR resource or Bundle (a JSON object)");
        var span = _buffer.AsSpan(_start, _end - _start);

        // A Bundle that says so first is streamed entry by entry.
        var peek = new Utf8JsonReader(span, isFinalBlock: false, new JsonReaderState(JsonOptions));
        if (!peek.Read() || !peek.Read()) return Step.NeedMore;
        if (peek.TokenType == JsonTokenType.PropertyName && peek.ValueTextEquals("resourceType"u8))
        {
            if (!peek.Read()) return Step.NeedMore;
            if (peek.TokenType == JsonTokenType.String && peek.ValueTextEquals("Bundle"u8))
            {
                _bundleLine = _line;
                _entry = 0;
                _envelope.Clear();
                _bundleTyped = false;
                _envelope.Write("{\"resourceType\":\"Bundle\""u8);
                _state = peek.CurrentState;
                Advance(peek.BytesConsumed);
                _mode = Mode.BundleMembers;
                return Step.Continue;
            }
        }

        var whole = new Utf8JsonReader(span, isFinalBlock: false, new JsonReaderState(JsonOptions));
        whole.Read();
        if (!whole.TrySkip()) return Step.NeedMore;
        var length = whole.BytesConsumed;
        var location = Here();
        var resource = FhirStrictParser.Parse(span[..(int)length], location);
        if (resource is Bundle bundle) Unbundle(bundle, location);
        else _item = new FhirInputItem(resource, location.WithType(resource.TypeName), null, null);
        Advance(length);
        return _item is null ? Step.Continue : Step.Item;
    }

    /// <summary>A Bundle read whole (one NDJSON line, or one whose resourceType does not come first): its entries, checked.</summary>
    private void Unbundle(Bundle bundle, FhirLocation location)
    {
        CheckType(bundle, location);
        Bundles++;
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            var e = bundle.Entry[i];
            var at = location with { Entry = i, ResourceType = e.Resource?.TypeName };
            CheckEntry(at, e.Resource is not null, e.Request?.Method, e.Request?.Url);
            _pending.Enqueue(new FhirInputItem(e.Resource!, at, e.FullUrl, e.Request?.Method));
        }
    }

    private Step BundleMember()
    {
        var span = _buffer.AsSpan(_start, _end - _start);
        var reader = new Utf8JsonReader(span, isFinalBlock: false, _state);
        if (!reader.Read()) return Step.NeedMore;
        if (reader.TokenType == JsonTokenType.EndObject)
        {
            Advance(reader.BytesConsumed);
            _mode = Mode.Top;
            _envelope.Write("}"u8);
            var location = Here(line: _bundleLine);
            if (!_bundleTyped) throw new FhirDepositException(location.WithType("Bundle"), "a Bundle has a type: transaction, batch or collection", "Bundle.type");
            var envelope = (Bundle)FhirStrictParser.Parse(_envelope.WrittenSpan, location.WithType("Bundle"));
            CheckType(envelope, location);
            Bundles++;
            return Step.Continue;
        }
        if (reader.ValueTextEquals("entry"u8))
        {
            if (!reader.Read()) return Step.NeedMore;
            if (reader.TokenType != JsonTokenType.StartArray) throw new FhirDepositException(Here(), "Bundle.entry is an array", "Bundle.entry");
            _state = reader.CurrentState;
            Advance(reader.BytesConsumed);
            _mode = Mode.Entries;
            return Step.Continue;
        }
        // Any other member of the Bundle is kept aside, checked strictly when the Bundle ends.
        var nameStart = (int)reader.TokenStartIndex;
        var isType = reader.ValueTextEquals("type"u8);
        if (!reader.Read()) return Step.NeedMore;
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip()) return Step.NeedMore;
        _envelope.Write(","u8);
        _envelope.Write(span[nameStart..(int)reader.BytesConsumed]);
        _bundleTyped |= isType;
        _state = reader.CurrentState;
        Advance(reader.BytesConsumed);
        return Step.Continue;
    }

    private Step Entry()
    {
        var span = _buffer.AsSpan(_start, _end - _start);
        var reader = new Utf8JsonReader(span, isFinalBlock: false, _state);
        if (!reader.Read()) return Step.NeedMore;
        if (reader.TokenType == JsonTokenType.EndArray)
        {
            _state = reader.CurrentState;
            Advance(reader.BytesConsumed);
            _mode = Mode.BundleMembers;
            return Step.Continue;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new FhirDepositException(Here(_entry), "a Bundle entry is a JSON object", $"Bundle.entry[{_entry}]");
        var entryStart = (int)reader.TokenStartIndex;
        if (!reader.TrySkip()) return Step.NeedMore;
        var entryEnd = (int)reader.BytesConsumed;
        var line = _line + span[..entryStart].Count((byte)'\n');
        _item = ParseEntry(span[entryStart..entryEnd], _entry, line);
        _entry++;
        _state = reader.CurrentState;
        Advance(entryEnd);
        return Step.Item;
    }

    private FhirInputItem ParseEntry(ReadOnlySpan<byte> raw, int index, long line)
    {
        var location = new FhirLocation(_file, index, line, null);
        string? type = null, method = null, url = null;
        var hasResource = false;
        // A first light look: the entry's resource type names errors; an entry without resource is refused before the SDK.
        var look = new Utf8JsonReader(raw, JsonOptions);
        look.Read();
        while (look.Read() && look.TokenType == JsonTokenType.PropertyName)
        {
            if (look.ValueTextEquals("resource"u8))
            {
                hasResource = true;
                look.Read();
                if (look.TokenType != JsonTokenType.StartObject) { look.Skip(); continue; }
                var depth = look.CurrentDepth;
                while (look.Read() && look.CurrentDepth > depth)
                {
                    if (look.TokenType == JsonTokenType.PropertyName && look.CurrentDepth == depth + 1 && look.ValueTextEquals("resourceType"u8))
                    {
                        look.Read();
                        if (look.TokenType == JsonTokenType.String) type = look.GetString();
                    }
                    else if (look.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) look.Skip();
                }
            }
            else if (look.ValueTextEquals("request"u8))
            {
                look.Read();
                if (look.TokenType != JsonTokenType.StartObject) { look.Skip(); continue; }
                while (look.Read() && look.TokenType == JsonTokenType.PropertyName)
                {
                    var isMethod = look.ValueTextEquals("method"u8);
                    var isUrl = look.ValueTextEquals("url"u8);
                    look.Read();
                    if (look.TokenType == JsonTokenType.String && isMethod) method = look.GetString();
                    else if (look.TokenType == JsonTokenType.String && isUrl) url = look.GetString();
                    else look.Skip();
                }
            }
            else
            {
                look.Read();
                look.Skip();
            }
        }
        location = location.WithType(type is not null && FhirReference.IsResourceType(type) ? type : null);
        CheckEntry(location, hasResource, Enum.TryParse<Bundle.HTTPVerb>(method, ignoreCase: false, out var verb) ? verb : null, url);

        var wrapped = new byte[WrapperHead.Length + raw.Length + WrapperTail.Length];
        WrapperHead.CopyTo(wrapped, 0);
        raw.CopyTo(wrapped.AsSpan(WrapperHead.Length));
        WrapperTail.CopyTo(wrapped, WrapperHead.Length + raw.Length);
        var resourcePath = WrapperPath + ".resource";
        var parsed = (Bundle)FhirStrictParser.Parse(wrapped, location, path =>
            path.StartsWith(resourcePath, StringComparison.Ordinal) ? (type ?? "resource") + path[resourcePath.Length..]
            : path.StartsWith(WrapperPath, StringComparison.Ordinal) ? $"Bundle.entry[{index}]" + path[WrapperPath.Length..] : path);
        var e = parsed.Entry[0];
        var resource = e.Resource ?? throw new FhirDepositException(location, "the entry has no resource", $"Bundle.entry[{index}]");
        return new FhirInputItem(resource, location.WithType(resource.TypeName), e.FullUrl, e.Request?.Method);
    }

    private static void CheckType(Bundle bundle, FhirLocation location)
    {
        if (bundle.Type is not (Bundle.BundleType.Transaction or Bundle.BundleType.Batch or Bundle.BundleType.Collection))
            throw new FhirDepositException(location.WithType("Bundle"),
                $"a deposit takes transaction, batch or collection Bundles, not {bundle.TypeElement?.ToString() ?? "a Bundle without type"}", "Bundle.type");
    }

    private static void CheckEntry(FhirLocation location, bool hasResource, Bundle.HTTPVerb? method, string? url)
    {
        var element = $"Bundle.entry[{location.Entry}]";
        if (method is Bundle.HTTPVerb.DELETE or Bundle.HTTPVerb.GET or Bundle.HTTPVerb.HEAD or Bundle.HTTPVerb.PATCH)
            throw new FhirDepositException(location, $"a {method} request: a deposit carries resources, not requests", element + ".request.method");
        if (!hasResource) throw new FhirDepositException(location, "the entry has no resource", element);
        if (url is not null && url.Contains('$'))
            throw new FhirDepositException(location, "an operation request ($…): a deposit carries resources, not operations", element + ".request.url");
    }
}
