using System.CommandLine;
using Hygie.Core.Errors;
using Hygie.Storage.Locations;

namespace Hygie.Cli.Commands;

public static class LocationsCommands
{
    public static Command Create(GlobalOptions g, CliConsole console)
    {
        var locations = new Command("locations", "the places that hold the hub's bytes: stores, vaults and backup targets, with their provider, country, law and qualifications");
        locations.Subcommands.Add(Add(g, console));
        locations.Subcommands.Add(List(g, console));
        return locations;
    }

    private static Command Add(GlobalOptions g, CliConsole console)
    {
        var name = new Argument<string>("name") { Description = "the location's name (lower-case letters, digits, '-')" };
        var kind = new Option<string>("--kind") { Description = "objects, metadata, vault or backup", Required = true };
        kind.AcceptOnlyFromAmong(DeclaredLocation.Kinds.ToArray());
        var backend = new Option<string?>("--backend") { Description = "files, sqlite, local-keyring, s3, postgresql or pkcs11; default by kind (settings: s3 endpoint= bucket= prefix= access-key-env= secret-key-env=; postgresql connection-string-env=; pkcs11 library= token= key-label= pin-env=)" };
        var path = new Option<string?>("--path") { Description = "the directory (files) or file (sqlite, local-keyring) it lives in" };
        var settings = new Option<string[]>("--setting") { Description = "a backend setting key=value (secrets: name their environment variable, e.g. password-env=PGPASSWORD)", Arity = ArgumentArity.ZeroOrMore };
        var description = new Option<string?>("--description") { Description = "a note for auditors" };
        var replace = new Option<bool>("--replace") { Description = "change the declaration of an existing location (the hub's own stores: site only)" };
        var site = new SiteOptions();
        var command = new Command("add", "declare a location (refused later by the placement policy if it may not hold the hub's data)") { name, kind, backend, path, settings, description, replace };
        site.AddTo(command);
        command.SetHandler(console, async (parse, ct) =>
        {
            var map = new Dictionary<string, string>();
            foreach (var s in parse.GetValue(settings) ?? [])
            {
                var i = s.IndexOf('=');
                if (i <= 0) return console.Fail($"--setting '{s}' is not key=value");
                map[s[..i].Trim()] = s[(i + 1)..].Trim();
            }
            if (parse.GetValue(path) is { } p) map["path"] = Path.GetFullPath(p);
            var k = parse.GetValue(kind)!;
            var b = parse.GetValue(backend) ?? DeclaredLocation.DefaultBackend(k);
            if (parse.GetValue(site.Provider) is null)
                throw new ValidationFailedException("--provider is required: who runs this location?", "provider");
            if (!map.ContainsKey("path") && b is "files" or "sqlite" or "local-keyring")
                throw new ValidationFailedException($"a {b} location needs --path", "path");

            await using var hub = await HubAccess.OpenAsync(parse, g, ct);
            var declared = await hub.Locations.DeclareAsync(new DeclaredLocation(parse.GetValue(name)!, k, parse.GetValue(site.Provider)!, b,
                parse.GetValue(site.Country) ?? DeclaredLocation.UnknownCountry, parse.GetValue(site.Jurisdiction) ?? DeclaredLocation.UnknownJurisdiction,
                parse.GetValue(site.Qualification) ?? [], map, parse.GetValue(description), default), "operator-cli", parse.GetValue(replace), ct);
            var policy = await hub.Locations.GetPolicyAsync(ct);
            var gaps = Placement.Violations(policy, declared);
            if (parse.GetValue(g.Json))
            {
                console.WriteJson(new { location = declared, mayHoldHubData = gaps.Count == 0, policyGaps = gaps });
                return HygieCli.Ok;
            }
            console.Line($"Declared {declared.Kind} location '{declared.Name}': {declared.Provider}, {declared.Site}");
            console.Line(gaps.Count == 0
                ? $"  policy '{policy.Name}': may hold the hub's data ({string.Join(", ", policy.HeldClassifications)})"
                : $"  policy '{policy.Name}': may NOT hold the hub's data — {gaps[0]}");
            return HygieCli.Ok;
        });
        return command;
    }

    private static Command List(GlobalOptions g, CliConsole console)
    {
        var command = new Command("list", "the declared locations and whether the policy lets them hold the hub's data");
        command.SetHandler(console, async (parse, ct) =>
        {
            await using var hub = await HubAccess.OpenAsync(parse, g, ct);
            var locations = await hub.Locations.ListAsync(ct);
            var policy = await hub.Locations.GetPolicyAsync(ct);
            var inUse = hub.Locations.HubStores.ToDictionary(p => p.Value, p => p.Key);
            if (parse.GetValue(g.Json))
            {
                console.WriteJson(locations.Select(l => new
                {
                    l.Name, l.Kind, l.Provider, l.Backend, l.Country, l.Jurisdiction, l.Qualifications, l.Settings, l.Description, l.DeclaredAt, l.ErasedAt,
                    inUse = inUse.ContainsKey(l.Name), policyGaps = Placement.Violations(policy, l),
                }));
                return HygieCli.Ok;
            }
            foreach (var l in locations)
            {
                var gaps = l.Kind == LocationKinds.Vault ? [] : Placement.Violations(policy, l);
                var state = l.ErasedAt is not null ? $" [erased {l.ErasedAt:u}]" : inUse.ContainsKey(l.Name) ? " [in use]" : "";
                console.Line($"{l.Name} ({l.Kind}){state} — {l.Provider}; {l.Site}");
                console.Line($"    {l.Backend} {l.Path ?? string.Join(" ", l.Settings.Select(s => $"{s.Key}={s.Value}"))}");
                if (l.Kind != LocationKinds.Vault)
                    console.Line(gaps.Count == 0 ? "    policy: may hold the hub's data" : $"    policy: may not hold the hub's data — {gaps[0]}");
            }
            return HygieCli.Ok;
        });
        return command;
    }
}
