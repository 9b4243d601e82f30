using Hygie.Core.Errors;
using Hygie.Storage.Keys;

namespace Hygie.Storage.Tests.Contracts;

public sealed class LocalKeyringVaultContractTests : KeyVaultContract
{
    private const string Passphrase = "contract passphrase";

    protected override IKeyVault CreateNew() =>
        LocalKeyringVault.Create(Directory.Combine($"keyring-{Guid.NewGuid():N}.json"), Passphrase, TimeProvider.System);

    protected override IKeyVault OpenAgain(IKeyVault vault) => LocalKeyringVault.Open(vault.Location, Passphrase);

    protected override void OpenWithWrongSecret(IKeyVault vault)
    {
        var e = Assert.Throws<HubStateException>(() => LocalKeyringVault.Open(vault.Location, "not the passphrase"));
        Assert.Contains("wrong passphrase", e.Message);
        Assert.DoesNotContain("not the passphrase", e.Message);
    }
}
