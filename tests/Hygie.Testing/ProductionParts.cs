using System.Security.Cryptography;
using Hygie.Storage.Hub;
using Npgsql;

namespace Hygie.Testing;

/// <summary>
/// The production parts that scripts/services.sh starts (PostgreSQL, s3rver, SoftHSM2), carved up per test: a fresh
/// PostgreSQL database, an S3 key prefix of its own, a PKCS#11 key label of its own in one of two tokens. Secrets reach
/// the stores as in production: the settings name the environment variables that hold them. A missing service throws
/// (the test fails and says how to start the services).
/// </summary>
public static class ProductionParts
{
    public const string Postgres = "HYGIE_TEST_PG";
    public const string S3Endpoint = "HYGIE_TEST_S3_ENDPOINT";
    public const string S3Bucket = "HYGIE_TEST_S3_BUCKET";
    public const string S3AccessKey = "HYGIE_TEST_S3_ACCESS_KEY";
    public const string S3Secret = "HYGIE_TEST_S3_SECRET";
    public const string S3Region = "HYGIE_TEST_S3_REGION";
    public const string Pkcs11Library = "HYGIE_TEST_PKCS11_LIB";
    public const string Pkcs11Token = "HYGIE_TEST_PKCS11_TOKEN";
    public const string Pkcs11Pin = "HYGIE_TEST_PKCS11_PIN";
    public const string Pkcs11Token2 = "HYGIE_TEST_PKCS11_TOKEN2";
    public const string Pkcs11Pin2 = "HYGIE_TEST_PKCS11_PIN2";

    public static string Get(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{variable} is not set: run these tests through scripts/test.sh (or `source scripts/services.sh && services_install && services_start` first), " +
                "which starts PostgreSQL, SoftHSM2 (two tokens) and s3rver on loopback");

    /// <summary>A short random name part, unique per call.</summary>
    public static string NewRun() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>Creates an empty database and returns the name of the environment variable that holds its connection string.</summary>
    public static async Task<string> NewDatabaseAsync(string run)
    {
        var admin = new NpgsqlConnectionStringBuilder(Get(Postgres));
        await using (var c = new NpgsqlConnection(admin.ConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE t_{run}", c);
            await cmd.ExecuteNonQueryAsync();
        }
        admin.Database = $"t_{run}";
        var variable = $"HYGIE_TEST_PG_{run.ToUpperInvariant()}";
        Environment.SetEnvironmentVariable(variable, admin.ConnectionString);
        return variable;
    }

    /// <summary>The password of the test cluster, to prove it is written nowhere.</summary>
    public static string PostgresPassword => new NpgsqlConnectionStringBuilder(Get(Postgres)).Password!;

    /// <summary>Settings of a PostgreSQL location (kebab-case, as <c>hygie locations add --setting</c> takes them).</summary>
    public static Dictionary<string, string> PostgresSettings(string connectionStringVariable) => new() { ["connection-string-env"] = connectionStringVariable };

    /// <summary>Settings of an S3 location under its own key prefix of the test bucket.</summary>
    public static Dictionary<string, string> S3Settings(string prefix, string accessKeyVariable = S3AccessKey, string secretVariable = S3Secret) => new()
    {
        ["endpoint"] = Get(S3Endpoint), ["bucket"] = Get(S3Bucket), ["region"] = Environment.GetEnvironmentVariable(S3Region) ?? "us-east-1",
        ["prefix"] = prefix, ["access-key-env"] = accessKeyVariable, ["secret-key-env"] = secretVariable,
    };

    /// <summary>Settings of a PKCS#11 vault: keys labelled <paramref name="keyLabel"/> in the first token, or the second one.</summary>
    public static Dictionary<string, string> Pkcs11Settings(string keyLabel, bool secondToken = false, string? pinVariable = null) => new()
    {
        ["library"] = Get(Pkcs11Library), ["token"] = Get(secondToken ? Pkcs11Token2 : Pkcs11Token), ["key-label"] = keyLabel,
        ["pin-env"] = pinVariable ?? (secondToken ? Pkcs11Pin2 : Pkcs11Pin),
    };

    /// <summary>A hub's stores on the production parts: a new database, an S3 prefix and a key label of its own.</summary>
    public static async Task<StoreChoice> HubStoresAsync(string run) => new(
        new StoreConfig { Provider = "postgresql", Settings = PostgresSettings(await NewDatabaseAsync(run)) },
        new StoreConfig { Provider = "s3", Settings = S3Settings($"hub-{run}") },
        new StoreConfig { Provider = "pkcs11", Settings = Pkcs11Settings($"hub-{run}") });

    /// <summary>
    /// Destroys the keys a test created in the tokens under the labels of <paramref name="vaults"/> (pkcs11 stores only),
    /// so that the tokens of a run do not fill up with them; a vault already erased or unreachable is left alone.
    /// </summary>
    public static void DestroyTokenKeys(IEnumerable<StoreConfig> vaults)
    {
        foreach (var vault in vaults.Where(v => v.Provider == "pkcs11"))
        {
            try { Storage.Keys.Pkcs11KeyVault.DestroyKeys(StoreFactory.Pkcs11Options(vault)); }
            catch (Core.Errors.HubStateException) { }
        }
    }

    /// <summary>Sets <paramref name="variable"/> to a value for this process (a wrong credential, a wrong PIN) and returns its name.</summary>
    public static string SetVariable(string variable, string value)
    {
        Environment.SetEnvironmentVariable(variable, value);
        return variable;
    }
}
