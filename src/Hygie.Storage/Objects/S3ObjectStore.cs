using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Hygie.Core.Errors;

namespace Hygie.Storage.Objects;

/// <summary>
/// The production object store: a bucket of an S3-compatible service, addressed path-style at a custom endpoint.
/// A write is buffered in memory up to one part: small objects go in a single PUT at commit, larger ones in a multipart
/// upload completed at commit. Either way the object becomes visible only when <see cref="ObjectWriteStream.CommitAsync"/>
/// succeeds; a write disposed without commit aborts its multipart upload. Errors name the endpoint and bucket, never the
/// credentials.
/// </summary>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly S3ObjectStoreOptions _options;
    private readonly string _endpoint;
    private readonly string _keyPrefix;

    public S3ObjectStore(S3ObjectStoreOptions options)
    {
        if (!Uri.TryCreate(options.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new HubStateException($"the S3 endpoint '{Redact(options.Endpoint)}' is not an http(s) URL", "objects-config");
        if (string.IsNullOrWhiteSpace(options.Bucket))
            throw new HubStateException($"no bucket is configured for the S3 object store at {Redact(options.Endpoint)}", "objects-config");
        if (string.IsNullOrEmpty(options.AccessKey) || string.IsNullOrEmpty(options.SecretKey))
            throw new HubStateException($"the S3 object store at {Redact(options.Endpoint)} has no access key or secret configured", "objects-config");
        if (options.PartSize < S3ObjectStoreOptions.MinPartSize)
            throw new HubStateException($"the S3 part size must be at least {S3ObjectStoreOptions.MinPartSize >> 20} MiB", "objects-config");

        _options = options;
        _endpoint = Redact(options.Endpoint);
        _keyPrefix = string.IsNullOrEmpty(options.KeyPrefix) ? "" : ObjectKey.Check(options.KeyPrefix.Trim('/')) + "/";
        Location = $"{_endpoint}/{options.Bucket}{(_keyPrefix.Length == 0 ? "" : "/" + _keyPrefix.TrimEnd('/'))}";

        var config = new AmazonS3Config
        {
            ServiceURL = endpoint.GetLeftPart(UriPartial.Path),
            ForcePathStyle = true,
            AuthenticationRegion = options.Region,
            MaxErrorRetry = options.MaxErrorRetry,
            Timeout = options.Timeout,
            UseHttp = endpoint.Scheme == "http",
            // Only what the request needs: S3-compatible servers vary in their support of trailing checksums.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        _client = new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
    }

    public string Provider => "s3";

    /// <summary><c>endpoint/bucket[/prefix]</c>.</summary>
    public string Location { get; }

    public string Bucket => _options.Bucket;

    public Task<ObjectWriteStream> OpenWriteAsync(string key, CancellationToken ct = default) =>
        Task.FromResult<ObjectWriteStream>(new S3Write(this, ObjectKey.Check(key)));

    public async Task<Stream> OpenReadAsync(string key, CancellationToken ct = default)
    {
        var request = new GetObjectRequest { BucketName = _options.Bucket, Key = S3Key(key) };
        try
        {
            var response = await _client.GetObjectAsync(request, ct);
            return new S3Read(response);
        }
        catch (Exception e) when (Translate(e, "read", key, ct) is { } translated)
        {
            throw translated;
        }
    }

    public async Task<Stream> OpenReadAsync(string key, long offset, long length, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == 0) return Stream.Null;
        var request = new GetObjectRequest { BucketName = _options.Bucket, Key = S3Key(key), ByteRange = new ByteRange(offset, offset + length - 1) };
        try
        {
            var response = await _client.GetObjectAsync(request, ct);
            return new S3Read(response);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            return Stream.Null; // the range starts at or after the end
        }
        catch (Exception e) when (Translate(e, "read", key, ct) is { } translated)
        {
            throw translated;
        }
    }

    public async Task<long> LengthAsync(string key, CancellationToken ct = default)
    {
        try
        {
            return (await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = S3Key(key) }, ct)).ContentLength;
        }
        catch (Exception e) when (Translate(e, "read", key, ct) is { } translated)
        {
            throw translated;
        }
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken ct = default)
    {
        try
        {
            await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = S3Key(key) }, ct);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
            return false;
        }
        catch (Exception e) when (Translate(e, "look up", key, ct) is { } translated)
        {
            throw translated;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken ct = default)
    {
        try
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = S3Key(key) }, ct);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey")
        {
            // Deleting what is not there is not an error (as for files).
        }
        catch (Exception e) when (Translate(e, "delete", key, ct) is { } translated)
        {
            throw translated;
        }
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix = "", [EnumeratorCancellation] CancellationToken ct = default)
    {
        var request = new ListObjectsV2Request
        {
            BucketName = _options.Bucket,
            Prefix = _keyPrefix + prefix,
            MaxKeys = Math.Clamp(_options.ListPageSize, 1, 1000),
        };
        while (true)
        {
            ListObjectsV2Response page;
            try
            {
                page = await _client.ListObjectsV2Async(request, ct);
            }
            catch (Exception e) when (Translate(e, "list", prefix, ct) is { } translated)
            {
                throw translated;
            }
            foreach (var o in page.S3Objects ?? [])
            {
                if (!o.Key.StartsWith(_keyPrefix, StringComparison.Ordinal)) continue;
                var key = o.Key[_keyPrefix.Length..];
                // Anything in the bucket that is not a valid object key was not written by a hub: leave it out.
                if (!IsValidKey(key)) continue;
                yield return new StoredObject(key, o.Size);
            }
            if (page.IsTruncated != true || string.IsNullOrEmpty(page.NextContinuationToken)) yield break;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    /// <summary>Checks that the bucket exists and the credentials are accepted; throws a <see cref="HubStateException"/> otherwise.</summary>
    public async Task CheckAccessAsync(CancellationToken ct = default)
    {
        try
        {
            await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = _keyPrefix, MaxKeys = 1 }, ct);
        }
        catch (Exception e) when (Translate(e, "list", "", ct) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>Aborts multipart uploads under this store's prefix that were started before <paramref name="olderThan"/> (writes a crash left behind).</summary>
    public async Task<int> AbortAbandonedUploadsAsync(DateTimeOffset olderThan, CancellationToken ct = default)
    {
        var aborted = 0;
        var request = new ListMultipartUploadsRequest { BucketName = _options.Bucket, Prefix = _keyPrefix };
        while (true)
        {
            ListMultipartUploadsResponse page;
            try { page = await _client.ListMultipartUploadsAsync(request, ct); }
            catch (Exception e) when (Translate(e, "list the uploads of", "", ct) is { } translated) { throw translated; }
            foreach (var upload in page.MultipartUploads ?? [])
            {
                if (upload.Initiated.ToUniversalTime() >= olderThan.UtcDateTime) continue;
                await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
                    { BucketName = _options.Bucket, Key = upload.Key, UploadId = upload.UploadId }, ct);
                aborted++;
            }
            if (page.IsTruncated != true) return aborted;
            request.KeyMarker = page.NextKeyMarker;
            request.UploadIdMarker = page.NextUploadIdMarker;
        }
    }

    public void Dispose() => _client.Dispose();

    private string S3Key(string key) => _keyPrefix + ObjectKey.Check(key);

    private static bool IsValidKey(string key)
    {
        try { ObjectKey.Check(key); return true; }
        catch (ValidationFailedException) { return false; }
    }

    /// <summary>The endpoint without any user info or query string that might carry a secret.</summary>
    private static string Redact(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
            ? $"{uri.Scheme}://{uri.Host}{(uri.IsDefaultPort ? "" : ":" + uri.Port)}{uri.AbsolutePath.TrimEnd('/')}"
            : "(unparseable endpoint)";

    /// <summary>Turns an S3 client failure into a domain error; null leaves it alone (cancellation).</summary>
    private Exception? Translate(Exception e, string action, string key, CancellationToken ct)
    {
        if (e is HygieException) return null;
        if (e is OperationCanceledException && ct.IsCancellationRequested) return null;
        var what = key.Length == 0 ? "" : $" '{key}'";
        if (e is AmazonS3Exception s3)
        {
            switch (s3.ErrorCode)
            {
                case "NoSuchKey":
                    return new NotFoundException($"object '{key}' does not exist in the object store at {Location}", "object-not-found");
                case "NoSuchBucket":
                    return new HubStateException(
                        $"the bucket '{_options.Bucket}' does not exist at {_endpoint}: create it or fix the bucket setting", "objects-unavailable", e);
                case "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "InvalidToken" or "ExpiredToken" or "AuthorizationHeaderMalformed":
                    return new HubStateException(
                        $"the object store at {Location} refused the credentials ({s3.ErrorCode}): check the access key and secret given to hygie",
                        "objects-auth", e);
                case "AccessDenied":
                    return new HubStateException(
                        $"the object store at {Location} denied access to {action}{what}: the credentials lack a permission on bucket '{_options.Bucket}'",
                        "objects-auth", e);
            }
            if (s3.StatusCode == HttpStatusCode.NotFound && action == "read")
                return new NotFoundException($"object '{key}' does not exist in the object store at {Location}", "object-not-found");
            if (s3.StatusCode == HttpStatusCode.Forbidden)
                return new HubStateException($"the object store at {Location} refused to {action}{what} (403): check the credentials and the bucket policy", "objects-auth", e);
            return new HubStateException(
                $"the object store at {Location} failed to {action}{what}: {(int)s3.StatusCode} {s3.ErrorCode}", "objects-error", e);
        }
        if (IsNetworkFailure(e))
            return new HubStateException($"cannot reach the object store at {_endpoint}: {NetworkReason(e)}", "objects-unavailable", e);
        if (e is AmazonClientException or AmazonServiceException)
            return new HubStateException($"the object store at {Location} failed to {action}{what}: {e.GetType().Name}", "objects-error", e);
        return null;
    }

    private static bool IsNetworkFailure(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is HttpRequestException or SocketException or IOException or TimeoutException or TaskCanceledException) return true;
        return false;
    }

    private static string NetworkReason(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return "the connection was refused (is the server running and listening there?)";
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData }:
                    return "the host name does not resolve";
                case SocketException s:
                    return $"network error ({s.SocketErrorCode})";
                case TimeoutException or TaskCanceledException:
                    return "the request timed out";
            }
        }
        return "the connection failed";
    }

    /// <summary>A GET response body; disposing it releases the connection.</summary>
    private sealed class S3Read(GetObjectResponse response) : Stream
    {
        private readonly Stream _body = response.ResponseStream;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => response.ContentLength;
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _body.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => _body.Read(buffer);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => _body.ReadAsync(buffer, offset, count, ct);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => _body.ReadAsync(buffer, ct);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _body.Dispose();
                response.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// A write in progress: bytes fill a buffer of one part; a full buffer is uploaded as a part of a multipart upload
    /// (started on the first full part) while the next one fills. Commit sends a single PUT when no part was needed, or
    /// the last part and the completion otherwise.
    /// </summary>
    private sealed class S3Write(S3ObjectStore store, string key) : ObjectWriteStream
    {
        private const int InitialBuffer = 64 << 10;
        private readonly int _partSize = store._options.PartSize;
        private readonly Queue<Task<PartETag>> _inFlight = new();
        private readonly List<PartETag> _parts = [];
        private byte[]? _buffer;
        private int _length;
        private string? _uploadId;
        private int _nextPart = 1;
        private bool _committed, _closed;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> data)
        {
            while (!data.IsEmpty)
            {
                if (_length == _partSize) SendFullPartAsync(CancellationToken.None).GetAwaiter().GetResult();
                data = data[Append(data)..];
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default)
        {
            while (!data.IsEmpty)
            {
                if (_length == _partSize) await SendFullPartAsync(ct);
                data = data[Append(data.Span)..];
            }
        }

        public override void Flush() { }

        public override Task FlushAsync(CancellationToken ct) => Task.CompletedTask;

        public override async Task CommitAsync(CancellationToken ct = default)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (_committed) throw new InvalidOperationException($"object '{key}' is already committed");
            var s3Key = store._keyPrefix + key;
            try
            {
                if (_uploadId is null)
                {
                    using var body = new MemoryStream(_buffer ?? [], 0, _length, writable: false);
                    await store._client.PutObjectAsync(new PutObjectRequest
                    {
                        BucketName = store._options.Bucket, Key = s3Key, InputStream = body, AutoCloseStream = false, UseChunkEncoding = false,
                    }, ct);
                }
                else
                {
                    StartPart(_buffer!, _length, ct);
                    _buffer = null;
                    _length = 0;
                    while (_inFlight.Count > 0) _parts.Add(await _inFlight.Dequeue());
                    await store._client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
                    {
                        BucketName = store._options.Bucket, Key = s3Key, UploadId = _uploadId, PartETags = _parts.OrderBy(p => p.PartNumber).ToList(),
                    }, ct);
                }
                _committed = true;
            }
            catch (Exception e) when (store.Translate(e, "write", key, ct) is { } translated)
            {
                throw translated;
            }
        }

        private int Append(ReadOnlySpan<byte> data)
        {
            if (_committed) throw new InvalidOperationException($"object '{key}' is already committed");
            var room = _partSize - _length;
            var n = Math.Min(room, data.Length);
            EnsureCapacity(_length + n);
            data[..n].CopyTo(_buffer.AsSpan(_length));
            _length += n;
            return n;
        }

        private void EnsureCapacity(int needed)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (_buffer is not null && _buffer.Length >= needed) return;
            var size = Math.Max(InitialBuffer, _buffer?.Length ?? 0);
            while (size < needed) size *= 2;
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(size, _partSize));
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, _length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
            }
            _buffer = bigger;
        }

        /// <summary>Uploads the full buffer as the next part (starting the multipart upload first if needed).</summary>
        private async Task SendFullPartAsync(CancellationToken ct)
        {
            try
            {
                if (_uploadId is null)
                {
                    var started = await store._client.InitiateMultipartUploadAsync(
                        new InitiateMultipartUploadRequest { BucketName = store._options.Bucket, Key = store._keyPrefix + key }, ct);
                    _uploadId = started.UploadId;
                }
                while (_inFlight.Count >= Math.Max(1, store._options.PartsInFlight)) _parts.Add(await _inFlight.Dequeue());
            }
            catch (Exception e) when (store.Translate(e, "write", key, ct) is { } translated)
            {
                throw translated;
            }
            StartPart(_buffer!, _length, ct);
            _buffer = null;
            _length = 0;
        }

        private void StartPart(byte[] buffer, int length, CancellationToken ct)
        {
            var number = _nextPart++;
            _inFlight.Enqueue(UploadPartAsync(buffer, length, number, ct));
        }

        private async Task<PartETag> UploadPartAsync(byte[] buffer, int length, int number, CancellationToken ct)
        {
            try
            {
                using var body = new MemoryStream(buffer, 0, length, writable: false);
                var response = await store._client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = store._options.Bucket, Key = store._keyPrefix + key, UploadId = _uploadId, PartNumber = number,
                    InputStream = body, PartSize = length, UseChunkEncoding = false,
                }, ct);
                return new PartETag(number, response.ETag);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) CloseAsync().GetAwaiter().GetResult();
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await CloseAsync();
            await base.DisposeAsync();
        }

        /// <summary>Without a commit: waits for the parts in flight and aborts the upload, so nothing of it remains.</summary>
        private async Task CloseAsync()
        {
            if (_closed) return;
            _closed = true;
            if (_buffer is not null) ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
            while (_inFlight.Count > 0)
            {
                try { await _inFlight.Dequeue(); } catch { /* the upload is being abandoned */ }
            }
            if (!_committed && _uploadId is not null)
            {
                try
                {
                    await store._client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
                        { BucketName = store._options.Bucket, Key = store._keyPrefix + key, UploadId = _uploadId });
                }
                catch
                {
                    // Unreachable now: the upload stays invisible and AbortAbandonedUploadsAsync (or a bucket lifecycle rule) removes it.
                }
            }
        }
    }
}
