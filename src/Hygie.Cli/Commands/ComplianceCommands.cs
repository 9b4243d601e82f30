using System.CommandLine;
using Hygie.Storage.Operations;

namespace Hygie.Cli.Commands;

public static class ComplianceCommands
{
    public static Command Create(GlobalOptions g, CliConsole console)
    {
        var compliance = new Command("compliance", "sovereignty reports for auditors");
        var report = new Command("report", "locations, qualifications, key custody, the placement policy and accesses from outside the EEA");
        report.SetHandler(console, async (parse, ct) =>
        {
            await using var hub = await HubAccess.OpenAsync(parse, g, ct);
            var r = await ComplianceReport.BuildAsync(hub, ct);
            if (parse.GetValue(g.Json)) { console.WriteJson(r); return HygieCli.Ok; }
            Print(console, r);
            return HygieCli.Ok;
        });
        compliance.Subcommands.Add(report);
        return compliance;
    }

    public static void Print(CliConsole console, ComplianceReport r)
    {
        console.Line($"Compliance report for hub {r.HubId}, {r.GeneratedAt:u}");
        console.Line("");
        console.Line($"Placement policy: {r.Policy.Name}{(r.Policy.Development ? " (DEVELOPMENT POLICY: accepts any location; not for real health data)" : "")}");
        if (r.Policy.Description is not null) console.Line($"  {r.Policy.Description}");
        foreach (var rule in r.Policy.Rules) console.Line($"  {rule.Classification}: {rule.Requires}");
        console.Line($"  the hub holds: {string.Join(", ", r.Policy.HubClassifications)}");
        console.Line("");
        console.Line("Locations:");
        foreach (var l in r.Locations)
        {
            console.Line($"  {l.Name} ({l.Kind}, {l.Backend}) — {l.Provider}; {(l.Country == "unknown" ? "country unknown" : l.Country + (l.InEea ? ", in the EEA" : ", outside the EEA"))}; " +
                         $"{l.JurisdictionText}; {(l.Qualifications.Count == 0 ? "no qualification" : string.Join(" + ", l.Qualifications))}");
            foreach (var h in l.Holds) console.Line($"      holds: {h}");
            console.Line($"      policy: {l.Verdict}");
        }
        console.Line("");
        var k = r.KeyCustody;
        console.Line($"Key custody: {k.VaultKind} vault at location '{k.VaultLocation}', root key {k.RootKeyId} ({(k.RootKeyExtractable ? "extractable" : "non-extractable")}), {k.RootKeys} root key(s) so far");
        console.Line($"  {k.Custody}");
        console.Line($"  audit signing key {k.AuditKeyFingerprint}; {k.LiveDataKeys} live data key(s), {k.DestroyedDataKeys} destroyed");
        console.Line("");
        console.Line($"Accesses from outside the EEA: {r.AccessesFromOutsideEea.Summary}");
        foreach (var a in r.AccessesFromOutsideEea.Recent)
            console.Line($"  {a.Time:u} {a.Country} {a.Actor} {a.Action} ({a.Outcome})");
    }
}
