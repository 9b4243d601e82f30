using Hygie.Core.Audit;

namespace Hygie.Storage.Operations;

/// <summary>
/// <c>hygie keys rotate</c>: a new root key in the vault, every live data key re-wrapped under it; no data rewritten.
/// The retired root key stays in the vault, so older backups (whose keys it wrapped) can still be restored.
/// </summary>
public static class KeyRotation
{
    public static async Task<RotationResult> RunAsync(Hub.Hub hub, string actor = "operator-cli", CancellationToken ct = default)
    {
        var previous = hub.Vault.RootKeyId;
        string current;
        int rewrapped;
        try
        {
            current = hub.Vault.CreateRootKey();
            rewrapped = await hub.Keys.RewrapAllAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await hub.Audit.AppendAsync(new AuditEntry(actor, "keys.rotate", hub.Vault.Location, AuditOutcome.Failed, e.GetType().Name,
                new Dictionary<string, string> { ["from"] = previous }), CancellationToken.None);
            throw;
        }
        await hub.Audit.AppendAsync(new AuditEntry(actor, "keys.rotate", current, Details: new Dictionary<string, string>
        {
            ["from"] = previous, ["to"] = current, ["rewrapped"] = rewrapped.ToString(), ["vault"] = hub.Vault.Kind,
        }), ct);
        return new RotationResult(previous, current, rewrapped);
    }
}

public sealed record RotationResult(string PreviousRootKeyId, string RootKeyId, int Rewrapped);
