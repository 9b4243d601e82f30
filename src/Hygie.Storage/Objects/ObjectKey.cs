using System.Text.RegularExpressions;
using Hygie.Core.Errors;

namespace Hygie.Storage.Objects;

public static partial class ObjectKey
{
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$")]
    private static partial Regex Valid();

    /// <summary>Refuses keys that could escape the store (<c>..</c>, absolute paths) or differ by case between backends.</summary>
    public static string Check(string key)
    {
        if (key.Length > 512 || !Valid().IsMatch(key) || key.Split('/').Any(s => s is "." or ".."))
            throw new ValidationFailedException($"invalid object key '{key}': use lower-case letters, digits, '.', '_', '-' and '/'", "key");
        return key;
    }
}
