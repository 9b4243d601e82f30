using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Hygie.Testing;

namespace Hygie.Cli.Tests;

/// <summary>The real <c>hygie serve</c> killed (SIGKILL) while a FHIR deposit streams in: nothing of it is visible after the
/// restart, nothing of it is left on disk, and the next deposit works.</summary>
public sealed class FhirDepositKillTests
{
    /// <summary>Gives <paramref name="head"/>, then never another byte: a client still uploading.</summary>
    private sealed class StalledStream(byte[] head) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (_position == head.Length) await Task.Delay(Timeout.Infinite, ct);
            var n = Math.Min(buffer.Length, head.Length - _position);
            head.AsMemory(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<HygieProcess> ServeAsync(string data, string url)
    {
        var serve = HygieProcess.Start("serve", "--data", data, "--urls", url);
        Assert.True(await serve.WaitUntilAsync(() => serve.Out.Contains("listening on"), TimeSpan.FromSeconds(60)), serve.Error);
        return serve;
    }

    private static IEnumerable<string> DepositFiles(string data) =>
        Directory.Exists(Path.Combine(data, "objects", "datasets")) ? Directory.EnumerateFiles(Path.Combine(data, "objects", "datasets"), "*", SearchOption.AllDirectories) : [];

    [Fact]
    public async Task A_server_killed_during_a_fhir_upload_leaves_nothing_and_the_next_deposit_works()
    {
        if (OperatingSystem.IsWindows()) return; // SIGKILL: POSIX
        using var dir = new TempDirectory();
        var data = dir.Combine("hub");
        var init = await CliRunner.RunAsync(["init", "--data", data, "--json", .. OperationsCliTests.Qualified]);
        Assert.True(init.ExitCode == 0, init.Error);
        var operatorToken = JsonDocument.Parse(init.Out).RootElement.GetProperty("operatorToken").GetString()!;
        var url = $"http://127.0.0.1:{FreePort()}";
        var bundles = Directory.GetFiles(TestData.PathOf("fhir-synthea-r4"), "*.json").Order(StringComparer.Ordinal).Take(2).ToArray();

        string producer;
        using (var serve = await ServeAsync(data, url))
        {
            using var op = new HttpClient { BaseAddress = new Uri(url) };
            op.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", operatorToken);
            Assert.Equal(HttpStatusCode.Created, (await op.PostAsJsonAsync("/api/datasets", new { name = "clinical", kind = "fhir", classification = "clinical" })).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await op.PostAsJsonAsync("/api/users", new { name = "chu", roles = new[] { "producer" }, organisation = "CHU", displayName = "chu", publicConsent = false })).StatusCode);
            producer = (await (await op.PostAsJsonAsync("/api/tokens", new { user = "chu", expiresIn = "30d" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;

            using var upload = new HttpClient { BaseAddress = new Uri(url) };
            upload.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", producer);
            var second = await File.ReadAllBytesAsync(bundles[1]);
            var form = new MultipartFormDataContent
            {
                { new StreamContent(File.OpenRead(bundles[0])), "file", Path.GetFileName(bundles[0]) },
                { new StreamContent(new StalledStream(second[..(second.Length / 2)])), "file", Path.GetFileName(bundles[1]) },
            };
            using var client = new CancellationTokenSource();
            var sending = upload.PostAsync("/api/datasets/clinical/deposits", form, client.Token);
            // the deposit has begun staging what it read
            Assert.True(await serve.WaitUntilAsync(() => DepositFiles(data).Any(), TimeSpan.FromSeconds(60)), serve.Error);
            serve.KillNow();
            // the client, still sending, gives up: its request never got an answer
            client.Cancel();
            await Assert.ThrowsAnyAsync<Exception>(() => sending);
        }
        Assert.NotEmpty(DepositFiles(data)); // what the killed server left

        using (var again = await ServeAsync(data, url))
        {
            Assert.Empty(DepositFiles(data));
            var show = await CliRunner.RunAsync("datasets", "show", "clinical", "--json", "--server", url, "--token", operatorToken);
            Assert.True(show.ExitCode == 0, show.Error);
            var shown = JsonDocument.Parse(show.Out).RootElement;
            Assert.Empty(shown.GetProperty("dataset").GetProperty("tables").EnumerateArray());
            Assert.Empty(shown.GetProperty("deposits").EnumerateArray());

            var deposit = await CliRunner.RunAsync(["deposit", "clinical", "--fhir", .. bundles, "--server", url, "--token", producer]);
            Assert.True(deposit.ExitCode == 0, deposit.Error + again.Error);
            Assert.Contains("2 persons", deposit.Out);
            again.KillNow();
        }
    }
}
