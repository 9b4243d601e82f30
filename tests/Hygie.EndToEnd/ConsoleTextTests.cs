using System.Text.RegularExpressions;
using Hygie.Web.Console;

namespace Hygie.EndToEnd;

/// <summary>The console's words: every key a page or the console's code uses has its French and English text, and both languages hold the same keys.</summary>
public sealed partial class ConsoleTextTests
{
    [GeneratedRegex(@"(?:\bT|text|\bt)\[""(?<key>[a-zA-Z0-9.]+)""")]
    private static partial Regex KeyUse();

    [GeneratedRegex(@"\.Code\(""(?<prefix>[a-z]+)""")]
    private static partial Regex CodeUse();

    [Fact]
    public void French_and_English_hold_the_same_keys_and_every_key_used_exists()
    {
        var text = new ConsoleText();
        var french = text.Keys(ConsoleText.French).ToHashSet();
        var english = text.Keys(ConsoleText.English).ToHashSet();
        Assert.Empty(french.Except(english));
        Assert.Empty(english.Except(french));

        var sources = Directory.EnumerateFiles(Path.Combine(ConsoleHub.RepositoryRoot, "src", "Hygie.Web"), "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cshtml", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(sources);
        var used = sources.SelectMany(f => KeyUse().Matches(File.ReadAllText(f)).Select(m => m.Groups["key"].Value))
            .Where(k => !k.EndsWith('.')).ToHashSet();
        Assert.Empty(used.Except(french));
        // codes shown through Code(prefix, value) have at least one text under their prefix
        foreach (var prefix in sources.SelectMany(f => CodeUse().Matches(File.ReadAllText(f)).Select(m => m.Groups["prefix"].Value)).Distinct())
            Assert.Contains(french, k => k.StartsWith(prefix + ".", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("the period ends (2020-01-01) before it starts (2021-01-01)", "la période se termine (2020-01-01) avant de commencer (2021-01-01)")]
    [InlineData("user 'zoe' does not hold the researcher role", "le compte « zoe » n'a pas le rôle chercheur")]
    [InlineData("a message no pattern knows", "a message no pattern knows")]
    public void Service_messages_are_translated_for_french_pages(string english, string french)
    {
        var text = new ConsoleText();
        var previous = System.Globalization.CultureInfo.CurrentUICulture;
        try
        {
            System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("fr-FR");
            Assert.Equal(french, text.Message(english));
            System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("en-GB");
            Assert.Equal(english, text.Message(english));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentUICulture = previous;
        }
    }
}
