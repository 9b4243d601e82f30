using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Hygie.Testing;
using Microsoft.Playwright;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Hygie.EndToEnd;

/// <summary>
/// One real <c>hygie serve</c> process (a hub made by <c>hygie init</c> in a temporary directory, with the development
/// placement policy so that this machine may hold SNDS data, on a free loopback port) and one headless Chromium
/// (Debian's, never a downloaded one) for a test class. The hub starts empty: accounts, tokens and data are made
/// through the hub's API with the operator token <c>init</c> printed.
/// </summary>
public class ConsoleHub : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    private readonly TempDirectory _directory = new("hygie-e2e");
    private readonly StringBuilder _output = new();
    private Process? _process;
    private IPlaywright? _playwright;

    public Uri BaseAddress { get; private set; } = null!;
    public string OperatorToken { get; private set; } = "";
    public IBrowser Browser { get; private set; } = null!;
    public string DataDirectory => _directory.Combine("data");

    /// <summary>Environment of the hub process (an OpenID Connect provider, for instance).</summary>
    protected virtual IReadOnlyDictionary<string, string> Environment(Uri hub) => new Dictionary<string, string>();

    public virtual async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"{Chromium} is missing: apt-get install chromium (scripts/test.sh installs it through scripts/services.sh)");
        var port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        var init = await RunCliAsync("init", "--data", DataDirectory, "--json");
        OperatorToken = JsonDocument.Parse(init).RootElement.GetProperty("operatorToken").GetString()!;
        await RunCliAsync("policy", "set", "--development", "--data", DataDirectory);
        var info = Cli("serve", "--data", DataDirectory, "--urls", BaseAddress.ToString().TrimEnd('/'));
        foreach (var (k, v) in Environment(BaseAddress)) info.Environment[k] = v;
        _process = Process.Start(info) ?? throw new InvalidOperationException("cannot start dotnet");
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_output) _output.AppendLine(e.Data);
            if (e.Data.Contains(" listening on ", StringComparison.Ordinal)) listening.TrySetResult();
        };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("hygie serve exited: " + Output));
        _process.EnableRaisingEvents = true;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await listening.Task.WaitAsync(TimeSpan.FromMinutes(2));

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-gpu"],
        });
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    public virtual async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (_process is { HasExited: false }) { _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); }
        _process?.Dispose();
        _directory.Dispose();
    }

    private static ProcessStartInfo Cli(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "hygie.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment.Remove("HYGIE_KEYRING_PASSPHRASE");
        return info;
    }

    /// <summary>An operator verb run to its end; its standard output, or the test fails with its error.</summary>
    private static async Task<string> RunCliAsync(params string[] args)
    {
        using var process = Process.Start(Cli(args)) ?? throw new InvalidOperationException("cannot start dotnet");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(process.ExitCode == 0, $"hygie {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // ---- the API, for what a test does not drive through the console ----

    public HttpClient Api(string? token = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static async Task<JsonElement> ExpectAsync(HttpStatusCode expected, HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>An account with <paramref name="roles"/> and a token for it (the token's secret).</summary>
    public async Task<string> AccountAsync(string name, params string[] roles)
    {
        using var op = Api(OperatorToken);
        await ExpectAsync(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/users",
            new { name, roles, displayName = $"Dr {char.ToUpperInvariant(name[0])}{name[1..]}", organisation = "Inserm", publicConsent = true }));
        var issued = await ExpectAsync(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/tokens", new { user = name, expiresIn = "30d" }));
        return issued.GetProperty("secret").GetString()!;
    }

    /// <summary>An SNDS dataset with the synthetic ER_PRS_F table deposited by a producer.</summary>
    public async Task DatasetWithClaimsAsync(string dataset, string producerToken)
    {
        using (var op = Api(OperatorToken))
            await ExpectAsync(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/datasets",
                new { name = dataset, kind = "snds", classification = "snds", description = "Synthetic SNDS extract" }));
        using var producer = Api(producerToken);
        await using var csv = File.OpenRead(TestData.PathOf("snds-synthetic", "ER_PRS_F.csv"));
        await ExpectAsync(HttpStatusCode.OK, await producer.PostAsync($"/api/datasets/{dataset}/deposits?table=ER_PRS_F", new StreamContent(csv)));
    }

    // ---- the browser ----

    /// <summary>A fresh browser context (its own cookies), signed in with <paramref name="token"/> through the sign-in page when given.</summary>
    public async Task<IPage> PageAsync(string? token = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString(), AcceptDownloads = true, Locale = "en-US" });
        var page = await context.NewPageAsync();
        if (token is not null)
        {
            await page.GotoAsync("/signin");
            await page.GetByLabel("Jeton d'accès").FillAsync(token);
            await page.GetByRole(AriaRole.Button, new() { Name = "Se connecter", Exact = true }).ClickAsync();
            await page.WaitForURLAsync(u => !u.Contains("/signin", StringComparison.Ordinal));
        }
        return page;
    }

    /// <summary>Keeps what the page shows as a test artifact: <c>artifacts/screenshots/NAME.png</c> at the repository root.</summary>
    public static async Task ShotAsync(IPage page, string name)
    {
        var directory = Path.Combine(RepositoryRoot, "artifacts", "screenshots");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = true });
    }

    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Hygie.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("cannot find the repository root (Hygie.sln) above " + AppContext.BaseDirectory);
    }
}
