// FHIR POCOs are nullable everywhere: the tests dereference what they just asserted.
#nullable disable warnings
using System.Text;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Hygie.Ingest.Fhir;

namespace Hygie.Ingest.Tests;

public class FhirReaderTests
{
    /// <summary>Hands out a few bytes per read, as a slow network does: entries straddle every buffer boundary.</summary>
    private sealed class TrickleStream(byte[] data, int perRead) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, perRead), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static async Task<List<FhirInputItem>> ReadAllAsync(Stream stream, string name = "input.json", int? max = null)
    {
        var reader = max is null ? new FhirInputReader(stream, name) : new FhirInputReader(stream, name) { MaxValueBytes = max.Value };
        var items = new List<FhirInputItem>();
        while (await reader.ReadAsync() is { } item) items.Add(item);
        return items;
    }

    private static Stream Text(string text) => new MemoryStream(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task A_bundle_streamed_a_few_bytes_at_a_time_gives_every_entry_in_order_with_its_full_url()
    {
        var file = FhirFiles.SyntheaBundles[0];
        var expected = FhirFiles.Resources(file).Select(r => r.GetProperty("resourceType").GetString() + "/" + r.GetProperty("id").GetString()).ToList();
        var items = await ReadAllAsync(new TrickleStream(await File.ReadAllBytesAsync(file), 7), Path.GetFileName(file));
        Assert.Equal(expected, items.Select(i => $"{i.Resource.TypeName}/{i.Resource.Id}"));
        Assert.All(items, i => Assert.StartsWith("urn:uuid:", i.FullUrl));
        Assert.Equal(Enumerable.Range(0, expected.Count), items.Select(i => i.Location.Entry!.Value));
        Assert.All(items, i => Assert.Equal(Bundle.HTTPVerb.POST, i.Method));
        Assert.Equal(5, items[0].Location.Line); // the first entry's line in the file
    }

    [Fact]
    public async Task Ndjson_lines_are_resources_located_by_line_and_a_compact_bundle_on_a_line_is_unwrapped()
    {
        var ndjson = """
            {"resourceType":"Patient","id":"a","gender":"male"}

            {"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"b"}},{"resource":{"resourceType":"Patient","id":"c"}}]}
            {"resourceType":"Observation","id":"o","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/a"}}
            """;
        var items = await ReadAllAsync(Text(ndjson), "lines.ndjson");
        Assert.Equal(["Patient/a", "Patient/b", "Patient/c", "Observation/o"], items.Select(i => $"{i.Resource.TypeName}/{i.Resource.Id}"));
        Assert.Equal([1L, 3, 3, 4], items.Select(i => i.Location.Line));
        Assert.Equal([null, 0, 1, null], items.Select(i => i.Location.Entry));
        Assert.Equal("lines.ndjson, line 4 (Observation)", items[3].Location.ToString());
    }

    [Fact]
    public async Task A_bundle_whose_resource_type_comes_last_is_read_whole_and_its_type_checked()
    {
        var items = await ReadAllAsync(Text("""{"type":"batch","entry":[{"resource":{"resourceType":"Patient","id":"x"},"request":{"method":"PUT","url":"Patient/x"}}],"resourceType":"Bundle"}"""));
        Assert.Equal("Patient", Assert.Single(items).Resource.TypeName);
        var e = await Assert.ThrowsAsync<FhirDepositException>(() => ReadAllAsync(Text("""{"type":"searchset","entry":[{"resource":{"resourceType":"Patient","id":"x"}}],"resourceType":"Bundle"}""")));
        Assert.Equal("Bundle.type", e.Field);
    }

    [Theory]
    [InlineData("""{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Patient","id":"a"}}]}""", "not searchset", "Bundle.type")]
    [InlineData("""{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","id":"a"}}]}""", "a Bundle has a type", "Bundle.type")]
    [InlineData("""{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/1"}}]}""", "entry 0: Bundle.entry[0].request.method: a GET request", "Bundle.entry[0].request.method")]
    [InlineData("""{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","birthDate":"1990-13-45"}}]}""", "entry 0 (Patient): Patient.birthDate", "Patient.birthDate")]
    [InlineData("""[{"resourceType":"Patient"}]""", "expected a FHIR resource or Bundle", null)]
    [InlineData("""{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"a"}}""", "the file ends inside the Bundle", null)]
    public async Task What_is_not_a_deposit_is_refused_naming_where_and_never_the_value(string json, string message, string? element)
    {
        var e = await Assert.ThrowsAsync<FhirDepositException>(() => ReadAllAsync(Text(json), "f.json"));
        Assert.Contains(message, e.Message);
        Assert.StartsWith("f.json", e.Message);
        Assert.Equal(element, e.Field);
        Assert.DoesNotContain("1990-13-45", e.Message);
    }

    [Fact]
    public async Task An_entry_larger_than_the_buffer_is_read_and_one_larger_than_the_limit_is_refused()
    {
        // a FHIR string is at most 1 MB: three of them make an entry of 3 MB
        var big = new string('x', 1_000_000);
        var json = $$$"""{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"a"}},{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueString":"{{{big}}}","note":[{"text":"{{{big}}}"},{"text":"{{{big}}}"}]}}]}""";
        var items = await ReadAllAsync(new TrickleStream(Encoding.UTF8.GetBytes(json), 64 << 10));
        Assert.Equal(big, ((FhirString)((Observation)items[1].Resource).Value).Value);
        Assert.Equal(2, ((Observation)items[1].Resource).Note.Count);
        var e = await Assert.ThrowsAsync<FhirDepositException>(() => ReadAllAsync(Text(json), "big.json", max: 2 << 20));
        Assert.Contains("entry 1", e.Message);
        Assert.Contains("larger than 2 MiB", e.Message);
    }
}
