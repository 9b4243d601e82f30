namespace Hygie.Storage.Keys;

/// <summary>Which PKCS#11 token holds the hub's keys and how to log in. <see cref="ToString"/> never shows the PIN.</summary>
public sealed record Pkcs11VaultOptions
{
    /// <summary>The vendor's PKCS#11 module, e.g. <c>/usr/lib/softhsm/libsofthsm2.so</c>.</summary>
    public required string LibraryPath { get; init; }

    /// <summary>The label of the token (HSM partition) holding the keys.</summary>
    public required string TokenLabel { get; init; }

    /// <summary>The token's user PIN (from the environment or a secret store, never from <c>hub.json</c>).</summary>
    public required string Pin { get; init; }

    /// <summary>
    /// The CKA_LABEL stem of this hub's keys (<c>{KeyLabel}:root</c>, <c>{KeyLabel}:audit</c>), so that several hubs
    /// can share one token. Letters, digits, <c>.</c>, <c>_</c> and <c>-</c>.
    /// </summary>
    public string KeyLabel { get; init; } = "hygie";

    public override string ToString() => $"pkcs11 token '{TokenLabel}' keys '{KeyLabel}' via {LibraryPath}";
}
