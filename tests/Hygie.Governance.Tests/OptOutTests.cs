using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hygie.Core.Pseudonymization;
using Hygie.Governance.OptOuts;
using Hygie.Storage.Audit;
using Microsoft.Extensions.DependencyInjection;
using static Hygie.Governance.Tests.GovernanceHarness;

namespace Hygie.Governance.Tests;

public sealed class OptOutTests : IAsyncLifetime
{
    private const string Nir = "285047512345607";          // valid: key 07
    private const string CorsicanNir = "1 85 05 2A 012 345 79"; // valid, written with spaces: 2A counts as 19
    private GovernanceHarness _h = null!;

    public async Task InitializeAsync() => _h = await GovernanceHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Theory]
    [InlineData("285047512345608")]  // wrong key
    [InlineData("28504751234560")]   // 14 characters
    [InlineData("2850475123456")]    // the number without its key
    [InlineData("9850475123456 07")] // not a sex code
    [InlineData("28504751234ABC7")]  // letters
    [InlineData("")]
    public async Task An_invalid_NIR_is_refused_naming_the_rule_never_the_value(string nir)
    {
        using var op = _h.Server.Operator();
        var response = await op.PostAsJsonAsync("/api/optouts", new { nir });
        await ExpectAsync(HttpStatusCode.BadRequest, response);
        var body = await response.Content.ReadAsStringAsync();
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal("urn:hygie:problem:invalid-nir", problem.GetProperty("type").GetString());
        Assert.Equal("nir", problem.GetProperty("field").GetString());
        if (nir.Length > 0) Assert.DoesNotContain(nir, body);
        Assert.Equal(0, await _h.Server.App.Services.GetRequiredService<OptOutRegistry>().CountAsync());
        var refusal = Assert.Single(await _h.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "optout.add")));
        Assert.Equal("refused", refusal.Outcome);
    }

    [Fact]
    public async Task A_valid_objection_is_kept_as_the_hub_pseudonym_only_and_the_NIR_is_nowhere_on_disk()
    {
        using var op = _h.Server.Operator();
        var first = await op.PostAsJsonAsync("/api/optouts", new { nir = Nir, reason = "letter received 2026-05-28" });
        await ExpectAsync(HttpStatusCode.OK, first);
        var receipt = await first.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(receipt.GetProperty("alreadyRecorded").GetBoolean());
        await ExpectAsync(HttpStatusCode.OK, await op.PostAsJsonAsync("/api/optouts", new { nir = CorsicanNir }));

        // The same person again (written differently): recognised, not stored twice.
        var again = await (await op.PostAsJsonAsync("/api/optouts", new { nir = "2 85 04 75 123 456 07" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(again.GetProperty("alreadyRecorded").GetBoolean());
        Assert.Equal(receipt.GetProperty("receipt").GetString(), again.GetProperty("receipt").GetString());

        // Stored: the HMAC-SHA256 hub pseudonym under the linkage key, exactly what deposits compute for this NIR.
        var keyId = (await _h.Hub.Keys.FindIdAsync(OptOutRegistry.LinkagePurpose, OptOutRegistry.LinkageOwner))!;
        using var pseudonymizer = new Pseudonymizer(await _h.Hub.Keys.GetAsync(keyId));
        var expected = pseudonymizer.PersonId(PersonIdentifierKind.Nir, Nir);
        var stored = await _h.Server.App.Services.GetRequiredService<OptOutRegistry>().PseudonymsAsync();
        Assert.Equal(2, stored.Count);
        Assert.Contains(expected, stored);
        Assert.Contains(pseudonymizer.PersonId(PersonIdentifierKind.Nir, "185052A01234579"), stored);
        using (var erin = _h.As("erin"))
            Assert.Equal(2, (await erin.GetFromJsonAsync<JsonElement>("/api/optouts/count")).GetProperty("count").GetInt64());

        // Neither the NIR (in any spelling) nor its 13-digit number is in any file of the hub, the audit log included.
        var events = JsonSerializer.Serialize(await _h.Hub.Audit.QueryAsync(new AuditQuery(Limit: 10_000)));
        foreach (var needle in new[] { Nir, "2850475123456", "185052A012345", "2 85 04 75" })
        {
            Assert.DoesNotContain(needle, events);
            var bytes = Encoding.UTF8.GetBytes(needle);
            foreach (var file in Directory.EnumerateFiles(_h.Hub.DataDirectory, "*", SearchOption.AllDirectories))
                Assert.True(File.ReadAllBytes(file).AsSpan().IndexOf(bytes) < 0, $"{needle} found in {file}");
        }
        var audited = (await _h.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "optout.add", Outcome: "success")))[^1];
        Assert.Equal("letter received 2026-05-28", audited.Entry.Reason);
    }

    [Fact]
    public async Task Only_the_operator_records_objections()
    {
        var response = await _h.PostAsync("alice", "/api/optouts", new { nir = Nir });
        await ExpectAsync(HttpStatusCode.Forbidden, response);
        Assert.DoesNotContain(Nir, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_grant_says_whether_objections_apply_to_the_project()
    {
        var state = Application("state-access");
        state["legalBasis"] = new System.Text.Json.Nodes.JsonObject
        {
            ["kind"] = "permanent-access", ["reference"] = "Code de la santé publique, art. R. 1461-12", ["objectionExempt"] = true,
        };
        var exempt = await _h.ApprovedProjectAsync(state);
        var ordinary = await _h.ApprovedProjectAsync();
        Assert.False((await JsonOf(await _h.CheckAsync("alice", exempt, "dcir", "ER_PRS_F"))).GetProperty("objectionApplies").GetBoolean());
        Assert.True((await JsonOf(await _h.CheckAsync("alice", ordinary, "dcir", "ER_PRS_F"))).GetProperty("objectionApplies").GetBoolean());
    }
}
