using System.Text;
using Hygie.Core.Errors;
using Hygie.Fhir.Alerts;
using Hygie.Fhir.Rest;
using Hygie.Fhir.Search;
using Hygie.Fhir.Storage;

namespace Hygie.Fhir.Tests;

public sealed class UnitTests
{
    [Theory]
    [InlineData("2020", "2020-01-01T00:00:00.000Z", "2020-12-31T23:59:59.999Z")]
    [InlineData("2020-02", "2020-02-01T00:00:00.000Z", "2020-02-29T23:59:59.999Z")]
    [InlineData("2020-03-01", "2020-03-01T00:00:00.000Z", "2020-03-01T23:59:59.999Z")]
    [InlineData("2020-03-01T10:15+02:00", "2020-03-01T08:15:00.000Z", "2020-03-01T08:15:59.999Z")]
    [InlineData("2020-03-01T10:15:30.5Z", "2020-03-01T10:15:30.500Z", "2020-03-01T10:15:30.599Z")]
    public void Dates_cover_their_precision(string value, string low, string high)
    {
        Assert.True(DateRange.TryParse(value, out var range));
        Assert.Equal(DateTimeOffset.Parse(low).ToUnixTimeMilliseconds(), range.Low);
        Assert.Equal(DateTimeOffset.Parse(high).ToUnixTimeMilliseconds(), range.High);
        Assert.False(DateRange.TryParse("2020-13", out _));
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.20.0.5", false)]
    [InlineData("192.168.1.10", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("::", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::5", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("64:ff9b::a00:1", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("93.184.216.34", true)]
    [InlineData("172.32.0.1", true)]
    [InlineData("2a01:e0a::1", true)]
    [InlineData("::ffff:93.184.216.34", true)]
    public void Webhooks_reach_public_addresses_only(string address, bool isPublic) =>
        Assert.Equal(isPublic, Subscriptions.WebhookAddresses.IsPublic(System.Net.IPAddress.Parse(address)));

    [Theory]
    [InlineData("https://hooks.example.org/alerts", false, null)]
    [InlineData("http://93.184.216.34:8080/hook", false, null)]
    [InlineData("ftp://hooks.example.org/", false, "http or https")]
    [InlineData("file:///etc/passwd", false, "http or https")]
    [InlineData("/relative", false, "http or https")]
    [InlineData("http://127.0.0.1:5080/api/tokens", false, "not a public address")]
    [InlineData("http://[::1]/", false, "not a public address")]
    [InlineData("http://169.254.169.254/latest/meta-data/", false, "not a public address")]
    [InlineData("http://localhost:5080/", false, "names this host")]
    [InlineData("http://api.localhost/", false, "names this host")]
    [InlineData("http://127.0.0.1:5080/hook", true, null)]
    public void Subscription_endpoints_are_checked_when_written(string endpoint, bool allowPrivate, string? problem)
    {
        var found = Subscriptions.WebhookAddresses.UrlProblem(endpoint, allowPrivate);
        if (problem is null) Assert.Null(found);
        else Assert.Contains(problem, found);
    }

    [Fact]
    public async Task A_host_that_resolves_to_any_private_address_is_refused_at_delivery()
    {
        Task<System.Net.IPAddress[]> Dns(params string[] answers) => Task.FromResult(answers.Select(System.Net.IPAddress.Parse).ToArray());
        var ok = await Subscriptions.WebhookAddresses.ResolveAsync("hooks.example.org", false, (_, _) => Dns("93.184.216.34"), default);
        Assert.Equal("93.184.216.34", ok.ToString());
        // A name rebound to the hub's own host, or answering a public and a private address: refused, addresses not named.
        var e = await Assert.ThrowsAsync<Subscriptions.WebhookAddressRefusedException>(() =>
            Subscriptions.WebhookAddresses.ResolveAsync("hooks.example.org", false, (_, _) => Dns("93.184.216.34", "10.0.0.7"), default));
        Assert.Contains("non-public address", e.Message);
        Assert.DoesNotContain("10.0.0.7", e.Message);
        await Assert.ThrowsAsync<Subscriptions.WebhookAddressRefusedException>(() =>
            Subscriptions.WebhookAddresses.ResolveAsync("rebound.example.org", false, (_, _) => Dns("127.0.0.1"), default));
        await Assert.ThrowsAsync<Subscriptions.WebhookAddressRefusedException>(() =>
            Subscriptions.WebhookAddresses.ResolveAsync("nothing.example.org", false, (_, _) => Dns(), default));
        // The operator's choice: private networks allowed.
        Assert.Equal("10.0.0.7", (await Subscriptions.WebhookAddresses.ResolveAsync("hooks.internal", true, (_, _) => Dns("10.0.0.7"), default)).ToString());
    }

    [Theory]
    [InlineData("user/*.*", null)]
    [InlineData("patient/Observation.write", null)]
    [InlineData("system/*.cruds", null)]
    [InlineData("user/Patient.rs", null)]
    [InlineData("user/*.everything", "context/Type.permissions")]
    [InlineData("openid", "context/Type.permissions")]
    [InlineData("clinician/Patient.read", "context/Type.permissions")]
    [InlineData("patient/Observatoin.read", "not a FHIR R4 resource type")]
    public void Issued_scopes_must_be_smart_scopes_on_known_types(string scope, string? problem)
    {
        var found = SmartScopes.Problem(scope);
        if (problem is null) Assert.Null(found);
        else Assert.Contains(problem, found);
    }

    [Fact]
    public void Search_parameters_come_from_the_sdk_with_identifiers_hashed()
    {
        var patient = SearchParameterRegistry.For("Patient");
        Assert.True(patient["identifier"].Hashed);
        Assert.True(patient["family"].Hashed && patient["family"].NameLike);
        Assert.True(patient["telecom"].Hashed);
        Assert.False(patient["birthdate"].Hashed);
        Assert.False(patient["gender"].Hashed);
        var observation = SearchParameterRegistry.For("Observation");
        Assert.Equal("Observation.code", observation["code"].Expression);
        Assert.Equal(2, observation["code-value-quantity"].Components.Count);
        Assert.False(SearchParameterRegistry.For("Organization")["name"].Hashed);
    }

    [Fact]
    public void The_index_hash_depends_on_the_tenant_key_and_normalizes_strings()
    {
        var a = new IndexHasher(new byte[32]);
        var b = new IndexHasher(Enumerable.Repeat((byte)1, 32).ToArray());
        Assert.Equal(a.Normalized("Éloïse  Dupont"), a.Normalized("eloise dupont"));
        Assert.NotEqual(a.Normalized("eloise"), b.Normalized("eloise"));
        Assert.NotEqual(a.Exact("Dupont"), a.Exact("dupont"));
        Assert.DoesNotContain("dupont", a.Token("dupont"));
    }

    [Fact]
    public void A_sealed_record_is_bound_to_its_row()
    {
        var key = new byte[32];
        Random.Shared.NextBytes(key);
        var json = Encoding.UTF8.GetBytes("""{"resourceType":"Patient"}""");
        var record = ResourceSealer.Seal(json, "tenant-1", key, "t/Patient/1/1");
        Assert.Equal("tenant-1", ResourceSealer.KeyIdOf(record));
        Assert.Equal(json, ResourceSealer.Open(record, key, "t/Patient/1/1"));
        Assert.Throws<IntegrityException>(() => ResourceSealer.Open(record, key, "t/Patient/1/2"));
        record[^1] ^= 1;
        Assert.Throws<IntegrityException>(() => ResourceSealer.Open(record, key, "t/Patient/1/1"));
        Assert.Equal(json, ResourceSealer.Open(ResourceSealer.Plaintext(json), null, "x"));
    }

    [Fact]
    public void Smart_scopes_v1_and_v2()
    {
        var scopes = new SmartScopes(["patient/Observation.write", "user/Patient.rs", "openid"]);
        Assert.True(scopes.Allows("Observation", SmartAction.Create));
        Assert.False(scopes.Allows("Observation", SmartAction.Read));
        Assert.True(scopes.Allows("Patient", SmartAction.Search));
        Assert.False(scopes.Allows("Patient", SmartAction.Delete));
        Assert.True(new SmartScopes(["system/*.*"]).Allows("Anything", SmartAction.Delete));
        Assert.True(new SmartScopes(["openid"]).IsEmpty);
    }

    [Fact]
    public void Alert_rules_are_parsed_strictly()
    {
        var rule = AlertRule.Parse("""{"name":"Weight gain","code":{"code":"29463-7"},"condition":{"type":"count","count":3,"window":"P2D"},"severity":"low"}"""u8);
        Assert.Equal("weight-gain", rule.Id);
        Assert.Equal("http://loinc.org", rule.Code.System);
        Assert.Equal(TimeSpan.FromDays(2), rule.Condition.Window);
        Assert.Equal(rule, AlertRule.Parse(Encoding.UTF8.GetBytes(rule.ToJson())) with { });
        var e = Assert.Throws<FhirException>(() => AlertRule.Parse("""{"name":"x","code":{"code":"1"},"condition":{"type":"over","threshold":1},"severity":"low"}"""u8));
        Assert.Equal(422, e.Status);
        Assert.Equal("condition.type", e.Expression);
    }

    [Fact]
    public void Search_values_split_on_unescaped_commas()
    {
        Assert.Equal(["a", "b,c", "d"], SearchRequest.SplitValues(@"a,b\,c,d"));
        Assert.Equal(("ge", "2020"), SearchRequest.SplitPrefix("ge2020"));
        Assert.Equal(("eq", "2020"), SearchRequest.SplitPrefix("2020"));
    }
}
