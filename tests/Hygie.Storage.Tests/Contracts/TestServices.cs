using Xunit.Abstractions;
using Xunit.Sdk;

namespace Hygie.Storage.Tests.Contracts;

/// <summary>
/// The real services that scripts/services.sh starts (PostgreSQL, SoftHSM2, s3rver), found through environment
/// variables. A production-backend test without its service FAILS and says how to run it, unless
/// <see cref="AllowMissing"/> is set to 1, which skips it instead (quick local runs only).
/// </summary>
public static class TestServices
{
    public const string AllowMissing = "HYGIE_TEST_ALLOW_MISSING_SERVICES";

    public const string Postgres = "HYGIE_TEST_PG";
    public const string S3Endpoint = "HYGIE_TEST_S3_ENDPOINT";
    public const string S3Bucket = "HYGIE_TEST_S3_BUCKET";
    public const string S3AccessKey = "HYGIE_TEST_S3_ACCESS_KEY";
    public const string S3Secret = "HYGIE_TEST_S3_SECRET";
    public const string S3Region = "HYGIE_TEST_S3_REGION";
    public const string Pkcs11Library = "HYGIE_TEST_PKCS11_LIB";
    public const string Pkcs11Token = "HYGIE_TEST_PKCS11_TOKEN";
    public const string Pkcs11Pin = "HYGIE_TEST_PKCS11_PIN";

    public static string Get(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{variable} is not set: run these tests through scripts/test.sh (or `source scripts/services.sh && services_install && services_start` first), " +
                $"which starts PostgreSQL, SoftHSM2 and s3rver on loopback; set {AllowMissing}=1 to skip them in a quick local run");

    public static string? GetOptional(string variable) => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;

    /// <summary>Why the tests of <paramref name="testClass"/> are skipped, or null when they run (and fail without their services).</summary>
    public static string? SkipReason(Type testClass)
    {
        var required = testClass.GetCustomAttributes(typeof(RequiresServicesAttribute), inherit: true)
            .Cast<RequiresServicesAttribute>().SelectMany(a => a.Variables).ToList();
        var missing = required.Where(v => GetOptional(v) is null).ToList();
        if (missing.Count == 0 || Environment.GetEnvironmentVariable(AllowMissing) != "1") return null;
        return $"{string.Join(", ", missing)} not set and {AllowMissing}=1: run through scripts/test.sh to test this backend";
    }
}

/// <summary>The environment variables a test class's service needs (see <see cref="TestServices"/>).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class RequiresServicesAttribute(params string[] variables) : Attribute
{
    public IReadOnlyList<string> Variables { get; } = variables;
}

/// <summary>A contract test: a fact declared once on an abstract contract and run for each implementation, skipped only as <see cref="TestServices"/> allows.</summary>
[XunitTestCaseDiscoverer("Hygie.Storage.Tests.Contracts.ContractFactDiscoverer", "Hygie.Storage.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class ContractFactAttribute : FactAttribute;

public sealed class ContractFactDiscoverer(IMessageSink diagnostics) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        yield return new ContractTestCase(diagnostics, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), testMethod);
    }
}

public sealed class ContractTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes", true)]
    public ContractTestCase() { }

    public ContractTestCase(IMessageSink diagnostics, TestMethodDisplay display, TestMethodDisplayOptions displayOptions, ITestMethod testMethod)
        : base(diagnostics, display, displayOptions, testMethod) { }

    protected override string GetSkipReason(IAttributeInfo factAttribute) =>
        TestServices.SkipReason(TestMethod.TestClass.Class.ToRuntimeType()) ?? base.GetSkipReason(factAttribute);
}
