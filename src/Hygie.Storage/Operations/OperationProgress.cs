namespace Hygie.Storage.Operations;

/// <summary>Where an operation stands, for progress displays: a phase, and how far through it.</summary>
public sealed record OperationProgress(string Phase, long Done, long Total, long Bytes = 0, string? Item = null);

/// <summary>What every long operation accepts: how many objects move at once, and where progress goes.</summary>
public record OperationOptions
{
    public int Parallelism { get; init; } = Math.Clamp(Environment.ProcessorCount * 2, 2, 8);
    public IProgress<OperationProgress>? Progress { get; init; }

    /// <summary>Who is acting, for the audit log (the CLI's operator verbs: <c>operator-cli</c>).</summary>
    public string Actor { get; init; } = "operator-cli";
}
