namespace Hygie.Storage.Objects;

/// <summary>
/// An object store that can take an object from another store without its bytes passing through the caller — a local
/// file copy (copy_file_range), an S3 server-side copy. Optional: callers stream the object when a store does not
/// implement it or answers false.
/// </summary>
public interface IObjectCopyTarget
{
    /// <summary>
    /// Copies <paramref name="sourceKey"/> of <paramref name="source"/> to <paramref name="key"/> here, atomically like a
    /// write; false when this store cannot copy from that source directly (nothing is written then). With
    /// <paramref name="deferDurability"/>, the copy survives the process dying at once but may need
    /// <see cref="MakeDurableAsync"/> to survive a power loss (a caller batching many copies makes them durable together).
    /// </summary>
    Task<bool> TryCopyFromAsync(IObjectStore source, string sourceKey, string key, bool deferDurability = false, CancellationToken ct = default);

    /// <summary>Makes the objects <paramref name="keys"/>, written or copied earlier, survive a power loss.</summary>
    Task MakeDurableAsync(IReadOnlyCollection<string> keys, CancellationToken ct = default);
}
