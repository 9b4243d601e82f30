using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hygie.Web.Console;

/// <summary>
/// The console's words in French (the default) and English, from <c>Resources/fr.json</c> and <c>Resources/en.json</c>
/// (flat key → text, <c>{0}</c> placeholders), and the translation of the services' validation messages
/// (<c>Resources/errors.fr.json</c>: English pattern → French text, named groups carried over).
/// </summary>
public sealed class ConsoleText
{
    public const string French = "fr", English = "en";
    public static readonly IReadOnlyList<string> Languages = [French, English];

    private readonly FrozenDictionary<string, FrozenDictionary<string, string>> _texts;
    private readonly IReadOnlyList<(Regex Pattern, string French)> _errors;

    public ConsoleText()
    {
        _texts = Languages.ToFrozenDictionary(l => l, l => Load<Dictionary<string, string>>($"{l}.json").ToFrozenDictionary());
        _errors = Load<List<ErrorTranslation>>("errors.fr.json")
            .Select(e => (new Regex("^" + e.Pattern + "$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)), e.French)).ToList();
    }

    public IReadOnlyCollection<string> Keys(string language) => _texts[language].Keys;

    public static string Language => CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == English ? English : French;

    public string this[string key] => _texts[Language].TryGetValue(key, out var text) ? text
        : _texts[French].TryGetValue(key, out var fallback) ? fallback : key;

    public string this[string key, params object?[] args] => string.Format(CultureInfo.CurrentCulture, this[key], args);

    /// <summary>A service's message in the page's language: translated when a pattern knows it, else as the service wrote it.</summary>
    public string Message(string message)
    {
        if (Language == English) return message;
        foreach (var (pattern, french) in _errors)
        {
            var match = pattern.Match(message);
            if (!match.Success) continue;
            return Regex.Replace(french, @"\{(\w+)\}", m => match.Groups[m.Groups[1].Value] is { Success: true } g ? g.Value : m.Value);
        }
        return message;
    }

    /// <summary>The text for a code (a status, a rule, a legal basis kind) under <paramref name="prefix"/>, or the code itself.</summary>
    public string Code(string prefix, string? code) =>
        code is null ? "" : _texts[Language].TryGetValue($"{prefix}.{code}", out var text) ? text : code;

    private static T Load<T>(string name)
    {
        using var stream = typeof(ConsoleText).Assembly.GetManifestResourceStream($"Hygie.Web.Resources.{name}")
            ?? throw new InvalidOperationException($"the console resource {name} is missing from the assembly");
        return JsonSerializer.Deserialize<T>(stream, JsonSerializerOptions.Web)!;
    }

    private sealed record ErrorTranslation(string Pattern, string French);
}
