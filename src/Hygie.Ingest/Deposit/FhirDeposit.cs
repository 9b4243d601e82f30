using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hygie.Core.Catalog;
using Hygie.Core.Deidentification;
using Hygie.Core.Errors;
using Hygie.Core.Pseudonymization;
using Hygie.Ingest.Deidentification;
using Hygie.Ingest.Fhir;
using Hygie.Storage.Hub;
using Hygie.Storage.Sealing;

namespace Hygie.Ingest.Deposit;

/// <summary>
/// One FHIR deposit, in two passes over its resources.
/// <para>Pass 1, while the files stream in: every resource is parsed strictly, identified (<c>Type/id</c>, else its
/// <c>fullUrl</c>), checked against duplicates (the same resource twice is kept once; two different ones under one id
/// are refused), its references classified (a conditional or malformed reference is refused at once; a reference to a
/// <c>urn:uuid</c> or <c>Type/id</c> must find its target somewhere in the deposit, in any file, by the end), and each
/// Patient's <c>person_id</c> computed from its identifiers. The resources are staged, compact, in one sealed object:
/// a resource may name a patient that a later file brings.</para>
/// <para>Pass 2, once every reference is known to resolve: each staged resource is given its patient's person_id,
/// its id and references replaced by keyed pseudonyms, de-identified by the profile, flattened by the views into
/// Parquet parts and written to the sealed NDJSON of its type. Nothing of it is visible until the caller commits the
/// manifest; <see cref="Written"/> names every object to delete when it does not.</para>
/// Memory: per resource a 16-byte identity and its content hash (duplicates), per <c>fullUrl</c> its target, per patient
/// its person_id; the rows of one row group per table; never a whole file.
/// </summary>
internal sealed class FhirDeposit : IAsyncDisposable
{
    public const string PersonColumn = BatchDeidentifier.PersonIdColumn;
    private const int RowGroupRows = 16_384;
    private const int SinkChunk = 256 << 10;
    private const int MaxRejectedListed = 100;

    private readonly record struct Seen(UInt128 Content, FhirLocation Location);
    private readonly record struct Target(string Type, UInt128 Identity);
    private readonly record struct Pending(FhirLocation Location, string Element, FhirReferenceKind Kind, string Key);

    private readonly Hub _hub;
    private readonly string _dataset;
    private readonly string _dataKey;
    private readonly string _depositId;
    private readonly string _scope;
    private readonly FhirDeidentificationProfile _profile;
    private readonly Pseudonymizer _pseudonymizer;
    private readonly byte[] _idKey;
    private readonly FhirResourceDeidentifier _deidentifier;
    private readonly IReadOnlyList<FhirView> _views;
    private readonly long _rowsPerPart;

    private readonly Dictionary<UInt128, Seen> _seen = [];
    private readonly Dictionary<UInt128, Target> _fullUrls = [];
    private readonly Dictionary<UInt128, string> _patients = [];
    private readonly PersonAliases _links = new();
    private readonly Dictionary<(bool Urn, UInt128 Key), Pending> _pending = [];
    private readonly List<string> _files = [];
    private SealedObjectWriter? _staging;
    private long _staged;

    public FhirDeposit(Hub hub, string dataset, string dataKey, string depositId, string scope, FhirDeidentificationProfile profile,
        byte[] linkageKey, IReadOnlyList<FhirView> views, long rowsPerPart)
    {
        _hub = hub;
        _dataset = dataset;
        _dataKey = dataKey;
        _depositId = depositId;
        _scope = scope;
        _profile = profile;
        _pseudonymizer = new Pseudonymizer(linkageKey, new PseudonymizerOptions { CacheCapacity = 100_000 });
        _idKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, linkageKey, 32, info: "hygie fhir resource id v1"u8.ToArray());
        _deidentifier = new FhirResourceDeidentifier(profile, profile.ShiftsDates ? new DateShifter(DateShifter.DeriveKey(linkageKey), profile.DateShiftMaxDays) : null);
        _views = views;
        _rowsPerPart = rowsPerPart;
        Validate(profile);
    }

    /// <summary>
    /// What a FHIR profile names must exist in R4: a rule's data type, or the type a path starts with; a resource type
    /// it keeps must belong to a patient (its resources would have no person_id otherwise).
    /// </summary>
    public static void Validate(FhirDeidentificationProfile profile)
    {
        foreach (var key in profile.Elements.Keys)
        {
            var head = key.Split('.')[0];
            if (ModelInfo.GetTypeForFhirType(head) is not { } clr || ModelInfo.GetFhirTypeNameForType(clr) != head) // the SDK ignores case; FHIR does not
                throw new ValidationFailedException($"FHIR de-identification profile: {head} is not an R4 data type or resource type", key, "deidentification-profile");
        }
        foreach (var (type, keep) in profile.ResourceTypes)
        {
            if (!FhirReference.IsResourceType(type))
                throw new ValidationFailedException($"FHIR de-identification profile: {type} is not an R4 resource type", type, "deidentification-profile");
            if (keep && !PatientCompartment.BelongsToPatient(type))
                throw new ValidationFailedException($"FHIR de-identification profile: {type} does not belong to a patient, so its resources would have no person_id", type, "deidentification-profile");
        }
    }

    /// <summary>Every object written so far (staging, NDJSON, Parquet parts): what to delete if the deposit fails.</summary>
    public List<string> Written { get; } = [];

    public Dictionary<string, long> Read { get; } = new(StringComparer.Ordinal);
    public IReadOnlyList<string> Files => _files;
    public long Duplicates { get; private set; }

    // ---------------------------------------------------------------- pass 1

    /// <summary>Pass 1 over one uploaded file (Bundles or NDJSON).</summary>
    public async Task AddFileAsync(string name, Stream content, CancellationToken ct)
    {
        var fileIndex = StartFile(name);
        var reader = new FhirInputReader(content, name);
        while (await reader.ReadAsync(ct) is { } item) await AddAsync(fileIndex, item, ct);
    }

    /// <summary>Pass 1 over resources already parsed (a FHIR store's export): located by their order.</summary>
    public async Task AddResourcesAsync(string name, IAsyncEnumerable<Resource> resources, CancellationToken ct)
    {
        var fileIndex = StartFile(name);
        long n = 0;
        await foreach (var resource in resources.WithCancellation(ct))
            await AddAsync(fileIndex, new FhirInputItem(resource, new FhirLocation(name, null, ++n, resource.TypeName), null, null), ct);
    }

    private int StartFile(string name)
    {
        _files.Add(name);
        return _files.Count - 1;
    }

    private async Task AddAsync(int fileIndex, FhirInputItem item, CancellationToken ct)
    {
        var resource = item.Resource;
        var type = resource.TypeName;
        var location = item.Location;
        Read[type] = Read.GetValueOrDefault(type) + 1;
        var fullUrl = item.FullUrl is { Length: > 0 } u ? FhirReference.NormalizeUrl(u) : null;
        if (fullUrl is not null)
        {
            var element = $"Bundle.entry[{location.Entry}].fullUrl";
            if (FhirReference.Classify(fullUrl).Kind is not (FhirReferenceKind.Urn or FhirReferenceKind.Absolute))
                throw new FhirDepositException(location, "a fullUrl is absolute: a URL, a urn:uuid or a urn:oid", element);
            if (resource.Id is { Length: > 0 } id && FhirReference.RestfulTail(fullUrl) is { } tail && tail != $"{type}/{id}")
                throw new FhirDepositException(location, "the fullUrl does not agree with the resource's type and id", element);
        }
        var identityText = IdentityOf(type, resource.Id, fullUrl, fileIndex, location);
        var identity = Hash(identityText);
        var json = FhirStrictParser.Serialize(resource);
        var content = Hash(json);

        if (_seen.TryGetValue(identity, out var seen))
        {
            if (seen.Content != content)
                throw new FhirDepositException(location, $"the deposit holds another {type} with the same id and a different content ({seen.Location})", null, "fhir-duplicate");
            Duplicates++;
            if (fullUrl is not null) RegisterFullUrl(fullUrl, type, identity, location);
            return;
        }
        _seen[identity] = new Seen(content, location);
        if (fullUrl is not null) RegisterFullUrl(fullUrl, type, identity, location);

        foreach (var (reference, path) in FhirTree.References(resource))
        {
            if (reference.Reference is not { Length: > 0 } text) continue;
            var (kind, key) = FhirReference.Classify(text);
            switch (kind)
            {
                case FhirReferenceKind.Contained:
                    if (key.Length > 0 && !(resource is DomainResource d && d.Contained.Any(c => c.Id == key)))
                        throw new FhirDepositException(location, "refers to a contained resource that the resource does not contain", path, "fhir-reference");
                    break;
                case FhirReferenceKind.Search:
                    throw new FhirDepositException(location, "a conditional reference (Type?criteria) names no resource of the deposit: refer to the resource itself", path, "fhir-reference");
                case FhirReferenceKind.Invalid:
                    throw new FhirDepositException(location, key.Length > 0 ? $"refers to {key}, which is not an R4 resource type" : "not a reference a deposit can resolve (Type/id, urn:uuid, #contained or an absolute URL)", path, "fhir-reference");
                case FhirReferenceKind.Urn:
                    var urn = Hash(key);
                    if (!_fullUrls.ContainsKey(urn)) _pending.TryAdd((true, urn), new Pending(location, path, kind, key));
                    break;
                case FhirReferenceKind.Relative:
                    var target = Hash(key);
                    if (!_seen.ContainsKey(target)) _pending.TryAdd((false, target), new Pending(location, path, kind, key));
                    break;
                // an absolute URL is the deposit's own when a fullUrl matches it; otherwise it points outside the hub
            }
        }

        if (resource is Patient patient) _patients[identity] = PersonOf(patient, location, identityText);
        await StageAsync(fileIndex, location, fullUrl, json, ct);
    }

    private void RegisterFullUrl(string fullUrl, string type, UInt128 identity, FhirLocation location)
    {
        var key = Hash(fullUrl);
        if (_fullUrls.TryGetValue(key, out var other) && other.Identity != identity)
            throw new FhirDepositException(location, "another entry of the deposit has the same fullUrl", "fullUrl", "fhir-duplicate");
        _fullUrls[key] = new Target(type, identity);
    }

    /// <summary>A resource's identity in the deposit: <c>Type/id</c>, else <c>Type/fullUrl</c>, else its place.</summary>
    private static string IdentityOf(string type, string? id, string? fullUrl, int fileIndex, FhirLocation location) =>
        id is { Length: > 0 } ? $"{type}/{id}" : fullUrl is not null ? $"{type}/{fullUrl}" : $"{type}/~{fileIndex}:{location.Entry?.ToString() ?? "l" + location.Line}";

    /// <summary>
    /// The person of a Patient: its SNDS pseudonym (<c>urn:hygie:snds:ben-nir-psa</c>), else its NIR or INS, else the
    /// Patient itself under the producer's scope. Every identifier of a system the hub links on is checked: an
    /// invalid NIR refuses the Patient, naming the element, never the value.
    /// </summary>
    private string PersonOf(Patient patient, FhirLocation location, string identity)
    {
        PersonIdentifier? best = null;
        var bestPriority = int.MaxValue;
        var others = new List<PersonIdentifier>();
        for (var i = 0; i < patient.Identifier.Count; i++)
        {
            var identifier = patient.Identifier[i];
            if (identifier.Use == Identifier.IdentifierUse.Old) continue;
            var typeCode = identifier.Type?.Coding.Any(c => c.Code == PatientIdentifierSystems.NationalHealthPlanType) == true ? PatientIdentifierSystems.NationalHealthPlanType : null;
            if (PatientIdentifierSystems.KindOf(identifier.System, typeCode) is not { } kind) continue;
            var element = $"Patient.identifier[{i}].value";
            if (string.IsNullOrWhiteSpace(identifier.Value)) throw new FhirDepositException(location, "an identifier of a system the hub links on has no value", element, "pseudonymization");
            PersonIdentifier parsed;
            if (kind is PersonIdentifierKind.Nir or PersonIdentifierKind.Ins)
            {
                var check = NirValidator.Validate(identifier.Value);
                if (!check.IsValid) throw new FhirDepositException(location, check.Describe(), element, "pseudonymization");
                parsed = kind == PersonIdentifierKind.Nir ? PersonIdentifier.Nir(identifier.Value) : PersonIdentifier.Ins(identifier.Value);
            }
            else
            {
                try { parsed = PersonIdentifier.Of(kind, identifier.Value); }
                catch (ValidationFailedException e) { throw new FhirDepositException(location, e.Message, element, "pseudonymization"); }
            }
            var priority = PatientIdentifierSystems.Priority(kind);
            others.Add(parsed);
            if (priority < bestPriority) (best, bestPriority) = (parsed, priority);
        }
        var person = _pseudonymizer.PersonId(best ?? PersonIdentifier.Local(_scope, identity));
        // the other identifiers of the same Patient (an INS-NIR beside the SNDS pseudonym) name the same person: an
        // objection recorded by NIR, or rows deposited under one of them elsewhere, resolve to it
        foreach (var other in others)
            if (other != best) _links.Link(_pseudonymizer.PersonId(other), person);
        return person;
    }

    private async Task StageAsync(int fileIndex, FhirLocation location, string? fullUrl, byte[] json, CancellationToken ct)
    {
        if (_staging is null)
        {
            var id = $"datasets/{_dataset}/{_depositId}/staging.bin";
            Written.Add(id);
            _staging = await _hub.Sealed.OpenWriteAsync(id, _dataKey, SinkChunk, ct);
        }
        var url = fullUrl is null ? [] : Encoding.UTF8.GetBytes(fullUrl);
        var header = new byte[24];
        BinaryPrimitives.WriteInt32LittleEndian(header, fileIndex);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), location.Entry ?? -1);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), location.Line);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), url.Length);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(20), json.Length);
        await _staging.Stream.WriteAsync(header, ct);
        await _staging.Stream.WriteAsync(url, ct);
        await _staging.Stream.WriteAsync(json, ct);
        _staged++;
    }

    // ---------------------------------------------------------------- pass 2

    /// <summary>Checks that every reference resolved, then writes the stored resources and tables (uncommitted in the manifest).</summary>
    public async Task<FhirDepositOutcome> CompleteAsync(CancellationToken ct)
    {
        foreach (var (_, p) in _pending)
        {
            var resolved = p.Kind == FhirReferenceKind.Urn ? _fullUrls.ContainsKey(Hash(p.Key)) : _seen.ContainsKey(Hash(p.Key));
            if (!resolved)
                throw new FhirDepositException(p.Location, $"refers to {FhirReference.Describe(p.Kind, p.Key)} that is not in the deposit", p.Element, "fhir-reference");
        }
        if (_staged == 0) throw new ValidationFailedException($"the deposit holds no resource ({string.Join(", ", _files)})", null, "empty-file");

        var outcome = new FhirDepositOutcome { Links = _links };
        var tables = _views.ToDictionary(v => v.Name, v => new TableSink(this, v));
        var ndjson = new Dictionary<string, SealedObjectWriter>(StringComparer.Ordinal);
        var stagingId = _staging!.ObjectId;
        await _staging.CommitAsync(ct);
        _staging = null;
        try
        {
            await using var stream = await _hub.Sealed.OpenReadAsync(stagingId, ct);
            var header = new byte[24];
            var context = new FhirEvaluationContext();
            for (long n = 0; n < _staged; n++)
            {
                await stream.ReadExactlyAsync(header, ct);
                var fileIndex = BinaryPrimitives.ReadInt32LittleEndian(header);
                var entry = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
                var line = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(8));
                var url = new byte[BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(16))];
                var json = new byte[BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(20))];
                await stream.ReadExactlyAsync(url, ct);
                await stream.ReadExactlyAsync(json, ct);
                var location = new FhirLocation(_files[fileIndex], entry < 0 ? null : entry, line, null);
                var resource = FhirStrictParser.Parse(json, location);
                location = location.WithType(resource.TypeName);
                var type = resource.TypeName;
                if (!_profile.Keeps(type, PatientCompartment.BelongsToPatient(type)))
                {
                    outcome.Dropped[type] = outcome.Dropped.GetValueOrDefault(type) + 1;
                    continue;
                }
                var identity = Hash(IdentityOf(type, resource.Id, url.Length == 0 ? null : Encoding.UTF8.GetString(url), fileIndex, location));
                var person = resource is Patient ? _patients[identity] : PatientOf(resource);
                if (person is null)
                {
                    outcome.Rejected++;
                    if (outcome.RejectedResources.Count < MaxRejectedListed)
                    {
                        var problem = new Dictionary<string, object?>();
                        location.AddTo(problem);
                        problem["reason"] = "no patient: the resource's patient reference is missing or names no Patient of the deposit";
                        outcome.RejectedResources.Add(problem);
                    }
                    continue;
                }
                Pseudonymize(resource, identity);
                _deidentifier.Apply(resource, person);

                var node = resource.ToPocoNode(ModelInfo.ModelInspector);
                foreach (var view in _views)
                    if (view.Resource == type && view.Accepts(node, context))
                        await tables[view.Name].AddAsync([person, .. view.Row(node, context)], person, ct);

                if (!ndjson.TryGetValue(type, out var sink))
                {
                    var id = $"datasets/{_dataset}/{_depositId}/fhir/{type.ToLowerInvariant()}.ndjson";
                    Written.Add(id);
                    ndjson[type] = sink = await _hub.Sealed.OpenWriteAsync(id, _dataKey, SinkChunk, ct);
                }
                await sink.Stream.WriteAsync(FhirStrictParser.Serialize(resource), ct);
                sink.Stream.WriteByte((byte)'\n');
                outcome.Stored[type] = outcome.Stored.GetValueOrDefault(type) + 1;
                outcome.Persons.Add(person);
            }
            foreach (var (type, sink) in ndjson.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                var info = await sink.CommitAsync(ct);
                outcome.Resources.Add(new StoredFhirResources(type, new StoredTablePart(info.ObjectId, outcome.Stored[type], 0, info.SealDigest, _depositId)));
            }
            ndjson.Clear();
            foreach (var table in tables.Values) outcome.Tables.Add(await table.CompleteAsync(ct));
        }
        finally
        {
            foreach (var sink in ndjson.Values) await sink.DisposeAsync();
            foreach (var table in tables.Values) await table.DisposeAsync();
        }
        return outcome;
    }

    /// <summary>The person of a resource through its patient reference, or null.</summary>
    private string? PatientOf(Resource resource)
    {
        foreach (var reference in PatientCompartment.ReferencesOf(resource, TypeOf))
            if (reference.Reference is { } text && Resolve(text) is { Type: "Patient" } target && _patients.TryGetValue(target.Identity, out var person))
                return person;
        return null;
    }

    private string? TypeOf(string reference) => Resolve(reference)?.Type;

    private Target? Resolve(string reference)
    {
        var (kind, key) = FhirReference.Classify(reference);
        return kind switch
        {
            FhirReferenceKind.Urn or FhirReferenceKind.Absolute => _fullUrls.TryGetValue(Hash(key), out var t) ? t : null,
            FhirReferenceKind.Relative => new Target(key[..key.IndexOf('/')], Hash(key)),
            _ => null,
        };
    }

    /// <summary>The resource's id and every reference to a resource of the deposit become keyed pseudonyms
    /// (<c>Type/pseudonym</c>); a reference outside the hub loses its URL, which may carry an identifier.</summary>
    private void Pseudonymize(Resource resource, UInt128 identity)
    {
        foreach (var (reference, _) in FhirTree.References(resource))
        {
            if (reference.Reference is not { Length: > 0 } text || text.StartsWith('#')) continue;
            reference.Reference = Resolve(text) is { } target ? $"{target.Type}/{PseudonymOf(target.Identity)}" : null;
        }
        resource.Id = PseudonymOf(identity);
    }

    private string PseudonymOf(UInt128 identity)
    {
        Span<byte> input = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128LittleEndian(input, identity);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_idKey, input, mac);
        return Convert.ToHexStringLower(mac[..16]);
    }

    /// <summary>128 bits of SHA-256 over the dataset, the producer's scope and the text: equal identities compare equal,
    /// the identities of two producers do not.</summary>
    private UInt128 Hash(string text) => Hash(Encoding.UTF8.GetBytes($"{_dataset}\n{_scope}\n{text}"));

    private static UInt128 Hash(ReadOnlySpan<byte> bytes)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(bytes, digest);
        return BinaryPrimitives.ReadUInt128LittleEndian(digest);
    }

    public async ValueTask DisposeAsync()
    {
        if (_staging is not null) await _staging.DisposeAsync();
        _pseudonymizer.Dispose();
        CryptographicOperations.ZeroMemory(_idKey);
    }

    /// <summary>The Parquet parts of one view: rows gathered into row groups, a new part every <c>rowsPerPart</c>.</summary>
    private sealed class TableSink(FhirDeposit deposit, FhirView view) : IAsyncDisposable
    {
        private readonly Schemas.TableSchema _schema = view.Schema(PersonColumn);
        private readonly List<object?[]> _rows = [];
        private readonly HashSet<string> _persons = new(StringComparer.Ordinal);
        private readonly List<StoredTablePart> _parts = [];
        private SealedObjectWriter? _object;
        private ParquetPartWriter? _writer;
        private long _partRows, _rowsTotal;

        public async Task AddAsync(object?[] row, string person, CancellationToken ct)
        {
            _rows.Add(row);
            _persons.Add(person);
            if (_rows.Count >= RowGroupRows) await FlushAsync(ct);
        }

        private async Task FlushAsync(CancellationToken ct)
        {
            if (_rows.Count == 0) return;
            if (_writer is null)
            {
                var id = $"datasets/{deposit._dataset}/{deposit._depositId}/{view.Name}-{_parts.Count + 1}.parquet";
                deposit.Written.Add(id);
                _object = await deposit._hub.Sealed.OpenWriteAsync(id, deposit._dataKey, ParquetPartWriter.SealedChunkSize, ct);
                _writer = await ParquetPartWriter.CreateAsync(_schema, _object.Stream, ct);
            }
            await _writer.WriteRowsAsync(_rows, ct);
            _partRows += _rows.Count;
            _rowsTotal += _rows.Count;
            _rows.Clear();
            if (_partRows >= deposit._rowsPerPart) await ClosePartAsync(ct);
        }

        private async Task ClosePartAsync(CancellationToken ct)
        {
            if (_writer is null) return;
            await _writer.DisposeAsync();
            var persons = _writer.Persons;
            _writer = null;
            var info = await _object!.CommitAsync(ct);
            _object = null;
            var personsObject = await ParquetPartWriter.SealPersonsAsync(deposit._hub.Sealed, info.ObjectId, deposit._dataKey, persons, deposit.Written, ct);
            _parts.Add(new StoredTablePart(info.ObjectId, _partRows, persons.Count, info.SealDigest, deposit._depositId, personsObject));
            _partRows = 0;
        }

        public async Task<StoredFhirTable> CompleteAsync(CancellationToken ct)
        {
            await FlushAsync(ct);
            await ClosePartAsync(ct);
            return new StoredFhirTable(view, _schema, _rowsTotal, _persons.Count, _parts);
        }

        public async ValueTask DisposeAsync()
        {
            if (_writer is not null) { try { await _writer.DisposeAsync(); } catch (IOException) { } catch (ObjectDisposedException) { } }
            if (_object is not null) await _object.DisposeAsync();
        }
    }
}

/// <summary>What pass 2 wrote: per type the resources stored (and their NDJSON object), dropped by the profile, the
/// resources rejected for want of a patient, the tables and the persons.</summary>
internal sealed class FhirDepositOutcome
{
    public Dictionary<string, long> Stored { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, long> Dropped { get; } = new(StringComparer.Ordinal);
    public long Rejected { get; set; }
    public List<IDictionary<string, object?>> RejectedResources { get; } = [];
    public HashSet<string> Persons { get; } = new(StringComparer.Ordinal);

    /// <summary>Each Patient's other linkable identifiers (their hub pseudonyms) → the person it was given.</summary>
    public PersonAliases Links { get; init; } = new();
    public List<StoredFhirResources> Resources { get; } = [];
    public List<StoredFhirTable> Tables { get; } = [];
}

internal sealed record StoredFhirResources(string Type, StoredTablePart Part);

internal sealed record StoredFhirTable(FhirView View, Schemas.TableSchema Schema, long Rows, long Persons, IReadOnlyList<StoredTablePart> Parts);
