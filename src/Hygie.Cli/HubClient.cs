using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Hygie.Cli;

/// <summary>The CLI's client of the hub API: bearer token, JSON, and problem+json errors turned into one-line reasons.</summary>
public sealed class HubClient : IDisposable
{
    private readonly HttpClient _http;

    public HubClient(string server, string? token, HttpMessageHandler? handler = null)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new CliException($"--server '{server}' is not an http(s) URL");
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.BaseAddress = uri;
        _http.Timeout = TimeSpan.FromMinutes(30);
        if (!string.IsNullOrEmpty(token)) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Server = uri;
    }

    public Uri Server { get; }

    public HttpClient Http => _http;

    public async Task<T> GetAsync<T>(string path, CancellationToken ct) =>
        await ReadAsync<T>(await SendAsync(new HttpRequestMessage(HttpMethod.Get, path), ct), ct);

    public async Task<T> PostAsync<T>(string path, object? body, CancellationToken ct) =>
        await ReadAsync<T>(await SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: CliConsole.JsonOptions) }, ct), ct);

    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach the hub at {Server}: {e.Message} (is 'hygie serve' running? see --server)");
        }
        if (response.IsSuccessStatusCode) return response;
        using (response) throw await ErrorOf(response, ct);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        using (response)
            return await response.Content.ReadFromJsonAsync<T>(CliConsole.JsonOptions, ct)
                   ?? throw new CliException("the hub answered with an empty body");
    }

    private static async Task<CliException> ErrorOf(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.StatusCode == HttpStatusCode.Unauthorized)
            return new CliException("the hub refused the token (401): pass a valid one with --token or HYGIE_TOKEN");
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            var detail = root.TryGetProperty("detail", out var d) ? d.GetString() : null;
            var field = root.TryGetProperty("field", out var f) ? f.GetString() : null;
            if (detail is not null)
                return new CliException($"{detail}{(field is null ? "" : $" (field {field})")} [{(int)response.StatusCode}]");
        }
        catch (JsonException) { }
        return new CliException($"the hub answered {(int)response.StatusCode} {response.ReasonPhrase}");
    }

    public void Dispose() => _http.Dispose();
}
