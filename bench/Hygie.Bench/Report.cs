namespace Hygie.Bench;

public static class Report
{
    /// <summary>One result line: our figure, the baseline's, their ratio and the target.</summary>
    public static bool Ratio(string what, double ours, double baseline, string unit, double target, bool higherIsBetter = true)
    {
        var ratio = higherIsBetter ? ours / baseline : baseline / ours;
        var ok = ratio >= target;
        Console.WriteLine($"{what}: {ours:F2} {unit} vs baseline {baseline:F2} {unit} → ratio {ratio:F2} (target ≥ {target:F2}) {(ok ? "OK" : "MISSED")}");
        return ok;
    }

    public static bool Absolute(string what, double value, string unit, double target, bool higherIsBetter = true)
    {
        var ok = higherIsBetter ? value >= target : value <= target;
        Console.WriteLine($"{what}: {value:F2} {unit} (target {(higherIsBetter ? "≥" : "≤")} {target} {unit}) {(ok ? "OK" : "MISSED")}");
        return ok;
    }
}
