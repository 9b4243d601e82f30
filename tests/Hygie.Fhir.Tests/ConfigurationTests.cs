using Hygie.Server;
using Hygie.Server.Fhir;
using Hygie.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Hygie.Fhir.Tests;

/// <summary>What the operator's configuration (<c>Hygie:Fhir:*</c>, i.e. <c>HYGIE__FHIR__…</c>) may and may not change.</summary>
public sealed class ConfigurationTests
{
    [Fact]
    public async Task Configuration_allows_private_webhooks_but_cannot_switch_sealing_off()
    {
        await using var hub = await TestHub.CreateAsync(migrations: [.. FhirSchema.Migrations], site: FhirServer.QualifiedSite);
        await using var app = HygieServer.Build(hub.Hub, new ServerOptions { Urls = "http://127.0.0.1:0" }, [new FhirModule()],
            b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Hygie:Fhir:SealResources"] = "false",
                ["Hygie:Fhir:Subscriptions:AllowPrivateNetworks"] = "true",
                ["Hygie:Fhir:MaxBodyBytes"] = "4096",
            }));
        var options = app.Services.GetRequiredService<FhirStore>().Options;
        Assert.True(options.SealResources);
        Assert.True(options.AllowPrivateNetworkWebhooks);
        Assert.Equal(4096, options.MaxBodyBytes);
        Assert.False(new FhirOptions().AllowPrivateNetworkWebhooks);
    }
}
