using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Storage.Locations;
using Hygie.Storage.Operations;
using Hygie.Testing;

namespace Hygie.Storage.Tests.Operations;

public sealed class PlacementTests
{
    [Fact]
    public async Task Init_declares_the_hubs_own_stores_with_the_site_given_and_the_default_policy()
    {
        await using var ops = await OperationsHub.CreateAsync();
        var locations = await ops.Hub.Locations.ListAsync();
        Assert.Equal(["local-metadata", "local-objects", "local-vault"], locations.Select(l => l.Name));
        var objects = locations.Single(l => l.Name == "local-objects");
        Assert.Equal(("files", "FR", "eu-only"), (objects.Backend, objects.Country, objects.Jurisdiction));
        Assert.Equal(["HDS", "SecNumCloud"], objects.Qualifications);
        Assert.Equal("objects", objects.Path);
        var policy = await ops.Hub.Locations.GetPolicyAsync();
        Assert.Equal("default", policy.Name);
        Assert.False(policy.Development);
        await ops.Hub.Placement.EnsureHubStoresAllowedAsync("snds", "deposit");
    }

    [Fact]
    public async Task A_hub_of_unknown_site_refuses_a_deposit_naming_the_rule_and_the_development_policy_accepts_it()
    {
        await using var plain = await OperationsHub.CreateAsync(site: new HubSite());
        var local = await plain.Hub.Locations.GetAsync("local-objects");
        Assert.Equal(("unknown", "unknown"), (local.Country, local.Jurisdiction));
        var e = await Assert.ThrowsAsync<PolicyViolationException>(() => plain.Hub.Placement.EnsureAllowedAsync("clinical", "local-objects", "deposit"));
        Assert.Contains("deposit refused", e.Message);
        Assert.Contains("'local-objects'", e.Message);
        Assert.Contains("rule 'clinical' requires the HDS qualification", e.Message);

        await using var demo = await OperationsHub.CreateAsync(site: new HubSite(), policy: PolicyDocument.DevelopmentPolicy);
        await demo.Hub.Placement.EnsureHubStoresAllowedAsync("snds", "deposit");
        await demo.Hub.Placement.EnsureAllowedAsync("genomic", "local-objects", "deposit");
        var report = await ComplianceReport.BuildAsync(demo.Hub);
        Assert.True(report.Policy.Development);
        Assert.StartsWith("DEVELOPMENT POLICY", report.Policy.Description);
    }

    [Fact]
    public async Task Locations_are_declared_audited_listed_and_refused_when_they_would_store_a_secret()
    {
        await using var ops = await OperationsHub.CreateAsync();
        var declared = await ops.DeclareAsync("scw-backup", LocationKinds.Backup, new HubSite("Scaleway", "fr", "eu-only", ["hds", "secnumcloud"]));
        Assert.Equal("FR", declared.Country);
        Assert.Equal(["HDS", "SecNumCloud"], declared.Qualifications);
        Assert.Contains(await ops.Hub.Locations.ListAsync(), l => l.Name == "scw-backup");
        var events = await ops.Hub.Audit.QueryAsync(new Storage.Audit.AuditQuery(ActionPrefix: "location.declare"));
        Assert.Equal("scw-backup", Assert.Single(events).Target);

        await Assert.ThrowsAsync<ConflictException>(() => ops.DeclareAsync("scw-backup", LocationKinds.Backup));
        var secret = await Assert.ThrowsAsync<ValidationFailedException>(() => ops.Hub.Locations.DeclareAsync(new DeclaredLocation(
            "pg", LocationKinds.Metadata, "Provider", "postgresql", "FR", "eu-only", ["HDS"],
            new Dictionary<string, string> { ["host"] = "db", ["password"] = "hunter2" }, null, default), "test"));
        Assert.Contains("password-env=VARIABLE", secret.Message);
        await Assert.ThrowsAsync<ValidationFailedException>(() => ops.Hub.Locations.DeclareAsync(new DeclaredLocation(
            "pg", LocationKinds.Metadata, "Provider", "postgresql", "FR", "eu-only", ["HDS"],
            new Dictionary<string, string> { ["connection"] = "Host=db;Password=hunter2" }, null, default), "test"));
        await ops.Hub.Locations.DeclareAsync(new DeclaredLocation("pg", LocationKinds.Metadata, "Provider", "postgresql", "FR", "eu-only", ["HDS"],
            new Dictionary<string, string> { ["host"] = "db", ["password-env"] = "PGPASSWORD" }, null, default), "test");
        Assert.Equal("PGPASSWORD", (await ops.Hub.Locations.GetAsync("pg")).Settings["password-env"]);
    }

    [Fact]
    public async Task Redeclaring_the_hubs_own_store_changes_its_site_not_how_it_is_opened()
    {
        await using var ops = await OperationsHub.CreateAsync(site: new HubSite());
        await ops.Hub.Locations.DeclareAsync(new DeclaredLocation("local-objects", LocationKinds.Objects, "OVHcloud", "s3", "FR", "eu-only", ["HDS"],
            new Dictionary<string, string> { ["path"] = "/elsewhere" }, null, default), "test", replace: true);
        var local = await ops.Hub.Locations.GetAsync("local-objects");
        Assert.Equal(("files", "objects", "FR"), (local.Backend, local.Path, local.Country));
        await Assert.ThrowsAsync<ValidationFailedException>(() => ops.DeclareAsync("local-other", LocationKinds.Objects));
    }

    [Fact]
    public async Task The_compliance_report_counts_accesses_from_outside_the_EEA_and_says_none_otherwise()
    {
        await using var ops = await OperationsHub.CreateAsync();
        var none = await ComplianceReport.BuildAsync(ops.Hub);
        Assert.StartsWith("none recorded", none.AccessesFromOutsideEea.Summary);
        Assert.Equal(0, none.AccessesFromOutsideEea.Count);

        await ops.Hub.Audit.AppendAsync(new AuditEntry("researcher-1", "query.run", "project-1", Details: new Dictionary<string, string> { ["country"] = "FR" }));
        await ops.Hub.Audit.AppendAsync(new AuditEntry("researcher-2", "query.run", "project-1", Details: new Dictionary<string, string> { ["country"] = "US" }));
        await ops.Hub.Audit.AppendAsync(new AuditEntry("researcher-2", "query.run", "project-1", Details: new Dictionary<string, string> { ["country"] = "us" }));
        await ops.DeclareAsync("aws", LocationKinds.Backup, new HubSite("AWS", "US", "extra-eu", []));

        var report = await ComplianceReport.BuildAsync(ops.Hub);
        Assert.Equal(2, report.AccessesFromOutsideEea.Count);
        Assert.Equal(3, report.AccessesFromOutsideEea.AccessesWithKnownCountry);
        Assert.Equal(new CountryCount("US", 2), Assert.Single(report.AccessesFromOutsideEea.ByCountry));
        Assert.Equal("researcher-2", report.AccessesFromOutsideEea.Recent[0].Actor);
        var aws = report.Locations.Single(l => l.Name == "aws");
        Assert.False(aws.InEea);
        Assert.True(aws.Complies); // holds nothing yet
        Assert.StartsWith("may not hold the hub's data", aws.Verdict);
        var custody = report.KeyCustody;
        Assert.Equal(("local-keyring", "local-vault", true), (custody.VaultKind, custody.VaultLocation, custody.RootKeyExtractable));

        var open = report.ForPublic();
        Assert.Empty(open.AccessesFromOutsideEea.Recent);
        Assert.All(open.Locations, l => Assert.Null(l.Where));
    }
}
