namespace Hygie.Fhir;

/// <summary>How the FHIR store behaves; defaults work on one machine.</summary>
public sealed record FhirOptions
{
    /// <summary>
    /// Seal every resource version under its tenant's key. Always on for a hub: no configuration reads it, and only
    /// the benchmark (bench/Hygie.Bench, which sees the internals) switches it off in code to measure what encryption costs.
    /// </summary>
    internal bool SealResources { get; init; } = true;

    /// <summary>Largest FHIR request body; larger ones are answered 413.</summary>
    public long MaxBodyBytes { get; init; } = 32L << 20;

    public int DefaultPageSize { get; init; } = 20;
    public int MaxPageSize { get; init; } = 1000;

    /// <summary>Most resources added by <c>_include</c> / <c>_revinclude</c> to one page.</summary>
    public int MaxIncludes { get; init; } = 1000;

    /// <summary>First retry delay of a failed webhook delivery; doubles on every further failure.</summary>
    public TimeSpan DeliveryBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between two delivery attempts.</summary>
    public TimeSpan DeliveryBackoffCap { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Attempts before a delivery is given up (status <c>failed</c>).</summary>
    public int MaxDeliveryAttempts { get; init; } = 8;

    /// <summary>
    /// Let rest-hook subscriptions reach loopback, link-local and private addresses (an operator's choice for webhook
    /// receivers on its own network, and for tests); off by default against server-side request forgery.
    /// Configuration <c>Hygie:Fhir:Subscriptions:AllowPrivateNetworks</c>.
    /// </summary>
    public bool AllowPrivateNetworkWebhooks { get; init; }

    /// <summary>Timeout of one webhook POST.</summary>
    public TimeSpan DeliveryTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often "no reading for a period" rules are checked (against the hub clock).</summary>
    public TimeSpan AbsenceCheckInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the background workers look for due work when nothing woke them.</summary>
    public TimeSpan WorkerPollInterval { get; init; } = TimeSpan.FromMilliseconds(500);
}
