using System.Security.Cryptography;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Storage.Hub;
using Hygie.Storage.Tests.Contracts;
using Hygie.Testing;
using Npgsql;

namespace Hygie.Storage.Tests;

/// <summary>A whole hub on the production parts: PostgreSQL metadata, S3 objects, keys in a PKCS#11 token.</summary>
[RequiresServices(TestServices.Postgres, TestServices.S3Endpoint, TestServices.Pkcs11Library)]
public sealed class ProductionHubTests
{
    [ContractFact]
    public async Task A_hub_runs_on_postgresql_s3_and_pkcs11()
    {
        var run = Guid.NewGuid().ToString("N")[..12];
        var admin = new NpgsqlConnectionStringBuilder(TestServices.Get(TestServices.Postgres));
        await using (var c = new NpgsqlConnection(admin.ConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE hub_{run}", c);
            await cmd.ExecuteNonQueryAsync();
        }
        admin.Database = $"hub_{run}";
        // Secrets travel by environment variable: hub.json only names the variables.
        Environment.SetEnvironmentVariable($"HUB_PG_{run}", admin.ConnectionString);
        Environment.SetEnvironmentVariable($"HUB_S3_KEY_{run}", TestServices.Get(TestServices.S3AccessKey));
        Environment.SetEnvironmentVariable($"HUB_S3_SECRET_{run}", TestServices.Get(TestServices.S3Secret));
        Environment.SetEnvironmentVariable($"HUB_PIN_{run}", TestServices.Get(TestServices.Pkcs11Pin));
        var stores = new StoreChoice(
            new StoreConfig { Provider = "postgresql", Settings = new() { ["connectionStringEnv"] = $"HUB_PG_{run}" } },
            new StoreConfig
            {
                Provider = "s3",
                Settings = new()
                {
                    ["endpoint"] = TestServices.Get(TestServices.S3Endpoint), ["bucket"] = TestServices.Get(TestServices.S3Bucket),
                    ["region"] = TestServices.GetOptional(TestServices.S3Region) ?? "us-east-1", ["prefix"] = $"hub-{run}",
                    ["accessKeyEnv"] = $"HUB_S3_KEY_{run}", ["secretKeyEnv"] = $"HUB_S3_SECRET_{run}",
                },
            },
            new StoreConfig
            {
                Provider = "pkcs11",
                Settings = new()
                {
                    ["library"] = TestServices.Get(TestServices.Pkcs11Library), ["token"] = TestServices.Get(TestServices.Pkcs11Token),
                    ["keyLabel"] = $"hub-{run}", ["pinEnv"] = $"HUB_PIN_{run}",
                },
            });

        using var dir = new TempDirectory();
        var data = dir.Combine("hub");
        var (hub, token) = await Hub.Hub.InitAsync(data, new HubOpenOptions { Stores = stores });
        var plain = RandomNumberGenerator.GetBytes(3_000_000);
        await using (hub)
        {
            Assert.Equal("postgresql", hub.Metadata.Provider);
            Assert.Equal("s3", hub.Objects.Provider);
            Assert.Equal("pkcs11", hub.Vault.Kind);
            Assert.DoesNotContain(admin.Password!, await File.ReadAllTextAsync(Path.Combine(data, HubConfig.FileName)));
            var key = await hub.Keys.CreateAsync("dataset", "ds-prod");
            await hub.Sealed.WriteAsync("datasets/ds-prod/part-0", key, (s, ct) => s.WriteAsync(plain, ct).AsTask());
            await hub.Audit.AppendAsync(new AuditEntry("operator", "test.write", "ds-prod"));
        }

        await using var reopened = await Hub.Hub.OpenAsync(data, new HubOpenOptions());
        Assert.NotNull(await reopened.Tokens.ValidateAsync(token.Secret));
        await using (var read = await reopened.Sealed.OpenReadAsync("datasets/ds-prod/part-0"))
        using (var copy = new MemoryStream())
        {
            await read.CopyToAsync(copy);
            Assert.Equal(plain, copy.ToArray());
        }
        using var export = new MemoryStream();
        await reopened.Audit.ExportAsync(export);
        var verified = AuditExportVerifier.Verify(new MemoryStream(export.ToArray()), reopened.Vault.SigningPublicKey);
        Assert.True(verified.Intact, verified.Problem);
        Assert.Equal(2, verified.Events);

        // A second init against the same PostgreSQL database is refused.
        var again = await Assert.ThrowsAsync<HubStateException>(() => Hub.Hub.InitAsync(dir.Combine("other"), new HubOpenOptions { Stores = stores }));
        Assert.Contains("already holds a hub", again.Message);
        Assert.False(Directory.Exists(dir.Combine("other")));
        Assert.DoesNotContain(admin.Password!, again.Message);
    }
}
