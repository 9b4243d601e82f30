using Hygie.Core.Errors;
using Hygie.Storage.Keys;

namespace Hygie.Storage.Tests.Contracts;

/// <summary>
/// The contract on a SoftHSM2 token initialized by scripts/services.sh. Each vault of a test has its own key label in
/// that token, as several hubs sharing one HSM partition would.
/// </summary>
[RequiresServices(TestServices.Pkcs11Library, TestServices.Pkcs11Token, TestServices.Pkcs11Pin)]
public sealed class Pkcs11KeyVaultContractTests : KeyVaultContract
{
    private readonly Dictionary<IKeyVault, string> _labels = [];

    private static Pkcs11VaultOptions Options(string keyLabel) => new()
    {
        LibraryPath = TestServices.Get(TestServices.Pkcs11Library),
        TokenLabel = TestServices.Get(TestServices.Pkcs11Token),
        Pin = TestServices.Get(TestServices.Pkcs11Pin),
        KeyLabel = keyLabel,
    };

    private static string NewLabel() => $"t-{Guid.NewGuid():N}"[..18];

    protected override IKeyVault CreateNew()
    {
        var label = NewLabel();
        var vault = Pkcs11KeyVault.Initialize(Options(label), TimeProvider.System);
        _labels[vault] = label;
        return vault;
    }

    protected override IKeyVault OpenAgain(IKeyVault vault)
    {
        var again = Pkcs11KeyVault.Open(Options(_labels[vault]));
        _labels[again] = _labels[vault];
        return again;
    }

    protected override void OpenWithWrongSecret(IKeyVault vault)
    {
        // The token is logged in by this process already (the vault is open): the PIN must still be the right one.
        var wrong = Options(_labels[vault]) with { Pin = "000000" };
        var e = Assert.Throws<HubStateException>(() => Pkcs11KeyVault.Open(wrong));
        Assert.Equal($"wrong PIN for token '{wrong.TokenLabel}': check the PIN given to hygie", e.Message);
    }

    [ContractFact]
    public void A_wrong_PIN_is_refused_by_the_token()
    {
        // No vault open in this process: the token itself checks the PIN.
        var wrong = Options(NewLabel()) with { Pin = "12345678" };
        var e = Assert.Throws<HubStateException>(() => Pkcs11KeyVault.Open(wrong));
        Assert.Equal("vault-pin", e.Code);
        Assert.Contains($"wrong PIN for token '{wrong.TokenLabel}'", e.Message);
        Assert.DoesNotContain(TestServices.Get(TestServices.Pkcs11Pin), e.ToString());
    }

    [ContractFact]
    public void The_keys_live_in_the_token_and_cannot_leave_it()
    {
        var vault = Track(CreateNew());
        Assert.Equal("pkcs11", vault.Kind);
        Assert.Contains(TestServices.Get(TestServices.Pkcs11Token), vault.Location);
        Assert.DoesNotContain(TestServices.Get(TestServices.Pkcs11Pin), vault.Location);
        vault.CreateRootKey();
        var keys = vault.ListKeys();
        Assert.Equal(3, keys.Count);
        Assert.All(keys, k => Assert.False(k.Extractable, $"{k.Id} must be non-extractable"));
        Assert.Equal(["root", "root", "audit-signing"], keys.Select(k => k.Purpose));
    }

    [ContractFact]
    public void Initializing_twice_under_one_label_is_refused()
    {
        var vault = Track(CreateNew());
        var e = Assert.Throws<HubStateException>(() => Pkcs11KeyVault.Initialize(Options(_labels[vault]), TimeProvider.System));
        Assert.Equal("vault-exists", e.Code);
    }

    [ContractFact]
    public void Opening_a_label_with_no_keys_is_refused()
    {
        var label = NewLabel();
        var e = Assert.Throws<HubStateException>(() => Pkcs11KeyVault.Open(Options(label)));
        Assert.Equal("vault-empty", e.Code);
        Assert.Contains(label, e.Message);
    }

    [ContractFact]
    public void A_missing_library_or_token_is_named()
    {
        var library = Assert.Throws<HubStateException>(() => Pkcs11KeyVault.Open(Options(NewLabel()) with { LibraryPath = "/nonexistent/libpkcs11.so" }));
        Assert.Contains("/nonexistent/libpkcs11.so", library.Message);

        var notPkcs11 = Assert.Throws<HubStateException>(() => Pkcs11KeyVault.Open(Options(NewLabel()) with { LibraryPath = typeof(object).Assembly.Location }));
        Assert.Contains("PKCS#11", notPkcs11.Message);

        var token = Assert.Throws<HubStateException>(() => Pkcs11KeyVault.Open(Options(NewLabel()) with { TokenLabel = "no-such-token" }));
        Assert.Contains("no token labelled 'no-such-token'", token.Message);
    }
}
