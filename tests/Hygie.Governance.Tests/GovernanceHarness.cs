using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hygie.Server;
using Hygie.Server.Modules;
using Hygie.Testing;

namespace Hygie.Governance.Tests;

/// <summary>The real server with governance over the test catalogue, a hand-moved clock, and a cast of users with tokens.</summary>
public sealed class GovernanceHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 6, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<string, string> _tokens = new();

    private GovernanceHarness(ManualClock clock, RunningServer server)
    {
        Clock = clock;
        Server = server;
    }

    public ManualClock Clock { get; }
    public RunningServer Server { get; }
    public Storage.Hub.Hub Hub => Server.Hub.Hub;

    /// <summary>alice and bob (researchers; alice consents to be named), carol (reviewer), dave (reviewer and researcher), erin (auditor).</summary>
    public static async Task<GovernanceHarness> StartAsync(ServerOptions? options = null)
    {
        var clock = new ManualClock(Start);
        var server = await RunningServer.StartAsync(clock, [new GovernanceModule(SndsTestCatalog.Instance)], options);
        var harness = new GovernanceHarness(clock, server);
        await harness.AddUserAsync("alice", ["researcher"], "Inserm U1018", "Alice Martin", consent: true);
        await harness.AddUserAsync("bob", ["researcher"], "CHU de Bordeaux", "Bob Durand", consent: false);
        await harness.AddUserAsync("carol", ["reviewer"], "CESREES", "Carol Petit", consent: false);
        await harness.AddUserAsync("dave", ["reviewer", "researcher"], "Inserm U1018", "Dave Leroy", consent: false);
        await harness.AddUserAsync("erin", ["auditor"], "CNIL", "Erin Roux", consent: false);
        return harness;
    }

    /// <summary>Issues every user a fresh token (after the clock has moved past the first ones' expiry).</summary>
    public async Task RenewTokensAsync()
    {
        using var op = Server.Operator();
        foreach (var name in _tokens.Keys.ToList())
        {
            var issued = await op.PostAsJsonAsync("/api/tokens", new { user = name, expiresIn = "30d" });
            Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
            _tokens[name] = (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        }
    }

    public async Task AddUserAsync(string name, string[] roles, string org, string display, bool consent)
    {
        using var op = Server.Operator();
        var created = await op.PostAsJsonAsync("/api/users", new { name, roles, organisation = org, displayName = display, publicConsent = consent });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var issued = await op.PostAsJsonAsync("/api/tokens", new { user = name, expiresIn = "300d" });
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        _tokens[name] = (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
    }

    public string TokenOf(string user) => _tokens[user];

    public HttpClient As(string user) => Server.Client(_tokens[user]);

    /// <summary>A complete, valid application by alice for alice and bob, which tests spoil one field at a time.</summary>
    public static JsonObject Application(string id = "diabetes-2026") => new()
    {
        ["id"] = id,
        ["title"] = "Complications of type 2 diabetes after GLP-1 agonists",
        ["summary"] = "A cohort of adults with type 2 diabetes followed through their claims and hospital stays.",
        ["purpose"] = "Estimate the incidence of hospitalisations for acute pancreatitis after a first GLP-1 dispensing.",
        ["sponsor"] = "Inserm U1018",
        ["legalBasis"] = new JsonObject { ["kind"] = "reference-methodology", ["methodology"] = "MR-004", ["declaration"] = "2224987" },
        ["datasets"] = new JsonArray
        {
            new JsonObject
            {
                ["dataset"] = "dcir",
                ["tables"] = new JsonArray
                {
                    new JsonObject { ["table"] = "ER_PRS_F", ["columns"] = new JsonArray("person_id", "EXE_SOI_DTD", "PRS_NAT_REF", "PRS_PAI_MNT") },
                    new JsonObject { ["table"] = "ER_PHA_F", ["columns"] = new JsonArray("person_id", "EXE_SOI_DTD", "PHA_PRS_C13") },
                },
            },
            new JsonObject
            {
                ["dataset"] = "pmsi-mco",
                ["tables"] = new JsonArray { new JsonObject { ["table"] = "T_MCOaaB", ["columns"] = new JsonArray("ETA_NUM", "RSA_NUM", "DGN_PAL") } },
            },
        },
        ["period"] = new JsonObject { ["from"] = "2019-01-01", ["to"] = "2022-12-31" },
        ["members"] = new JsonArray("alice", "bob"),
        ["requestedDurationMonths"] = 24,
    };

    public async Task<HttpResponseMessage> PostAsync(string user, string path, object? body = null)
    {
        using var client = As(user);
        return await client.PostAsync(path, body is null ? null : JsonContent.Create(body));
    }

    public static async Task<JsonElement> JsonOf(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    /// <summary>Applies as alice, submits, and has carol approve from today to the end of 2026.</summary>
    public async Task<string> ApprovedProjectAsync(JsonObject? application = null, string from = "2026-06-01", string to = "2026-12-31")
    {
        application ??= Application();
        var id = application["id"]!.GetValue<string>();
        await ExpectAsync(HttpStatusCode.Created, await PostAsync("alice", "/api/projects", application));
        await ExpectAsync(HttpStatusCode.OK, await PostAsync("alice", $"/api/projects/{id}/submit"));
        await ExpectAsync(HttpStatusCode.OK, await PostAsync("carol", $"/api/reviews/{id}/approve", new { from, to }));
        return id;
    }

    public static async Task ExpectAsync(HttpStatusCode expected, HttpResponseMessage response)
    {
        if (response.StatusCode != expected)
            Assert.Fail($"expected {(int)expected}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Asks the permit evaluator, through the API, whether <paramref name="user"/> may read these columns now.</summary>
    public Task<HttpResponseMessage> CheckAsync(string user, string project, string dataset, string table, params string[] columns) =>
        PostAsync(user, $"/api/projects/{project}/access-check", new { dataset, table, columns });

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
