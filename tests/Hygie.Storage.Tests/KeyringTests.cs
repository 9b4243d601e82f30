using System.Text;
using Hygie.Core.Errors;
using Hygie.Storage.Keys;
using Hygie.Testing;

namespace Hygie.Storage.Tests;

public sealed class KeyringTests
{
    [Fact]
    public void A_passphrase_protected_keyring_opens_only_with_its_passphrase()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("keyring.json");
        byte[] wrapped;
        string root;
        using (var vault = LocalKeyringVault.Create(path, "correct horse", TimeProvider.System))
        {
            wrapped = vault.WrapKey(new byte[32], "ctx"u8);
            root = vault.RootKeyId;
        }
        Assert.DoesNotContain("\"key\"", File.ReadAllText(path));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

        var wrong = Assert.Throws<HubStateException>(() => LocalKeyringVault.Open(path, "wrong"));
        Assert.Contains("wrong passphrase", wrong.Message);
        var missing = Assert.Throws<HubStateException>(() => LocalKeyringVault.Open(path, null));
        Assert.Contains(LocalKeyringVault.PassphraseVariable, missing.Message);

        using var reopened = LocalKeyringVault.Open(path, "correct horse");
        Assert.Equal(new byte[32], reopened.UnwrapKey(wrapped, "ctx"u8, root));
    }

    [Fact]
    public void A_corrupted_keyring_is_refused_with_a_clear_reason()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("keyring.json");
        LocalKeyringVault.Create(path, null, TimeProvider.System).Dispose();
        var text = File.ReadAllText(path);
        var payloadStart = text.IndexOf("\"payload\": \"", StringComparison.Ordinal) + 12;
        var chars = text.ToCharArray();
        chars[payloadStart + 20] = chars[payloadStart + 20] == 'A' ? 'B' : 'A';
        File.WriteAllText(path, new string(chars));
        var e = Assert.Throws<HubStateException>(() => LocalKeyringVault.Open(path, null));
        Assert.Contains("corrupted", e.Message);

        File.WriteAllText(path, "{ not json");
        Assert.Contains("corrupted", Assert.Throws<HubStateException>(() => LocalKeyringVault.Open(path, null)).Message);
    }

    [Fact]
    public void Unwrapping_with_another_context_or_vault_fails()
    {
        using var dir = new TempDirectory();
        using var a = LocalKeyringVault.Create(dir.Combine("a.json"), null, TimeProvider.System);
        using var b = LocalKeyringVault.Create(dir.Combine("b.json"), null, TimeProvider.System);
        var wrapped = a.WrapKey(Encoding.UTF8.GetBytes("0123456789abcdef0123456789abcdef"), "key-1"u8);
        Assert.Throws<IntegrityException>(() => a.UnwrapKey(wrapped, "key-2"u8, a.RootKeyId));
        Assert.Throws<IntegrityException>(() => b.UnwrapKey(wrapped, "key-1"u8, a.RootKeyId));
    }

    [Fact]
    public async Task Rotation_rewraps_data_keys_and_old_data_stays_readable()
    {
        await using var hub = await TestHub.CreateAsync();
        var keys = hub.Hub.Keys;
        var id = await keys.CreateAsync("dataset", "ds-1");
        var before = await keys.GetAsync(id);
        var oldRoot = hub.Hub.Vault.RootKeyId;
        var newRoot = hub.Hub.Vault.CreateRootKey();
        Assert.NotEqual(oldRoot, newRoot);
        Assert.Equal(1, await keys.RewrapAllAsync());
        var fresh = new KeyRing(hub.Hub.Metadata, hub.Hub.Vault, TimeProvider.System);
        Assert.Equal(before, await fresh.GetAsync(id));
        Assert.All(await fresh.ListAsync(), k => Assert.Equal(newRoot, k.RootKeyId));
    }
}
