using System.CommandLine;
using Hygie.Storage.Locations;

namespace Hygie.Cli;

/// <summary>Where a location is and under which law: <c>--provider --country --jurisdiction --qualification…</c>.</summary>
public sealed class SiteOptions
{
    public Option<string?> Provider { get; } = new("--provider") { Description = "who runs it (a company, or 'local machine')" };
    public Option<string?> Country { get; } = new("--country") { Description = "ISO 3166-1 alpha-2 country of the data centres (e.g. FR), or 'unknown'" };
    public Option<string?> Jurisdiction { get; } = new("--jurisdiction") { Description = "eu-only (EU law only) or extra-eu (exposed to extra-EU law, e.g. the US CLOUD Act)" };
    public Option<string[]> Qualification { get; } = new("--qualification")
    {
        Description = "a qualification the location holds (HDS, SecNumCloud); repeat for several",
        AllowMultipleArgumentsPerToken = false,
        Arity = ArgumentArity.ZeroOrMore,
    };

    public IEnumerable<Option> All => [Provider, Country, Jurisdiction, Qualification];

    public void AddTo(Command command)
    {
        foreach (var option in All) command.Options.Add(option);
    }

    public bool Given(ParseResult parse) =>
        parse.GetValue(Provider) is not null || parse.GetValue(Country) is not null || parse.GetValue(Jurisdiction) is not null
        || (parse.GetValue(Qualification)?.Length ?? 0) > 0;

    /// <summary>The site given on the command line, validated; null when no option was given.</summary>
    public HubSite? Read(ParseResult parse) => !Given(parse) ? null : new HubSite(
        parse.GetValue(Provider) ?? "local machine",
        DeclaredLocation.NormalizeCountry(parse.GetValue(Country)),
        DeclaredLocation.NormalizeJurisdiction(parse.GetValue(Jurisdiction)),
        DeclaredLocation.NormalizeQualifications(parse.GetValue(Qualification)));
}
