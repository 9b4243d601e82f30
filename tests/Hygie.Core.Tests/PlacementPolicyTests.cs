using Hygie.Core.Errors;
using Hygie.Core.Sovereignty;

namespace Hygie.Core.Tests;

public sealed class PlacementPolicyTests
{
    private static Location Loc(string country, Jurisdiction j, params string[] q) =>
        new("target", "objects", "Provider SA", country, j, new HashSet<string>(q));

    [Fact]
    public void Snds_data_needs_SecNumCloud_HDS_and_EU_only_law()
    {
        var policy = PlacementPolicy.Default;
        Assert.Null(policy.Violation("snds", Loc("FR", Jurisdiction.EuOnly, "HDS", "SecNumCloud")));
        Assert.Contains("SecNumCloud", policy.Violation("snds", Loc("FR", Jurisdiction.EuOnly, "HDS")));
        Assert.Contains("extra-EU", policy.Violation("snds", Loc("FR", Jurisdiction.ExtraEuExposed, "HDS", "SecNumCloud")));
        Assert.Contains("EEA", policy.Violation("snds", Loc("US", Jurisdiction.EuOnly, "HDS", "SecNumCloud")));
    }

    [Fact]
    public void Clinical_data_needs_HDS_in_the_EEA()
    {
        var policy = PlacementPolicy.Default;
        Assert.Null(policy.Violation("clinical", Loc("DE", Jurisdiction.ExtraEuExposed, "HDS")));
        Assert.Contains("HDS", policy.Violation("clinical", Loc("FR", Jurisdiction.EuOnly)));
        Assert.Contains("EEA", policy.Violation("clinical", Loc("CH", Jurisdiction.EuOnly, "HDS")));
    }

    [Fact]
    public void A_refusal_names_the_rule_and_the_location_and_unknown_classes_are_refused()
    {
        var e = Assert.Throws<PolicyViolationException>(() => PlacementPolicy.Default.Check("snds", Loc("FR", Jurisdiction.EuOnly), "backup"));
        Assert.Contains("backup refused", e.Message);
        Assert.Contains("'target'", e.Message);
        Assert.Contains("rule 'snds'", e.Message);
        Assert.Contains("no placement rule", PlacementPolicy.Default.Violation("genomic", Loc("FR", Jurisdiction.EuOnly, "HDS", "SecNumCloud")));
    }
}
