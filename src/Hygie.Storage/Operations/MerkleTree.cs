using System.Security.Cryptography;
using System.Text;

namespace Hygie.Storage.Operations;

/// <summary>
/// The Merkle root of a backup's entries, sorted by path (ordinal): leaf = SHA-256(0x00 ‖ "path\nsize\nsha256"),
/// node = SHA-256(0x01 ‖ left ‖ right), an odd node carried up as is; the root of no entries is SHA-256 of nothing.
/// </summary>
public static class MerkleTree
{
    public static string Root(IEnumerable<(string Path, long Size, string Sha256)> entries)
    {
        var level = entries.OrderBy(e => e.Path, StringComparer.Ordinal)
            .Select(e => Hash(0, Encoding.UTF8.GetBytes($"{e.Path}\n{e.Size}\n{e.Sha256}"))).ToList();
        if (level.Count == 0) return Convert.ToHexStringLower(SHA256.HashData([]));
        while (level.Count > 1)
        {
            var next = new List<byte[]>((level.Count + 1) / 2);
            for (var i = 0; i < level.Count; i += 2)
                next.Add(i + 1 < level.Count ? Hash(1, [.. level[i], .. level[i + 1]]) : level[i]);
            level = next;
        }
        return Convert.ToHexStringLower(level[0]);
    }

    private static byte[] Hash(byte prefix, byte[] data)
    {
        var buffer = new byte[data.Length + 1];
        buffer[0] = prefix;
        data.CopyTo(buffer, 1);
        return SHA256.HashData(buffer);
    }
}
