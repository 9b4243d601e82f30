namespace Hygie.Core.Errors;

/// <summary>
/// A domain error: what went wrong and where, safe to show to the caller. The message must never carry a direct
/// identifier, a key or a token. <see cref="Code"/> is stable and becomes the problem+json <c>type</c>.
/// </summary>
public abstract class HygieException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;

    /// <summary>The HTTP status this error maps to.</summary>
    public abstract int Status { get; }

    /// <summary>Problem type URI, stable per error kind.</summary>
    public string TypeUri => ProblemTypes.Uri(Code);

    /// <summary>Extra members for problem+json (field, row, column…). Never data values of identifier columns.</summary>
    public IDictionary<string, object?> Extensions { get; } = new Dictionary<string, object?>();
}

public static class ProblemTypes
{
    public static string Uri(string code) => $"urn:hygie:problem:{code}";
}

/// <summary>The input is invalid: names the field (and file, row, column when known).</summary>
public class ValidationFailedException(string message, string? field = null, string code = "validation") : HygieException(code, message)
{
    public string? Field { get; } = field;
    public override int Status => 400;
}

public class NotFoundException(string message, string code = "not-found") : HygieException(code, message)
{
    public override int Status => 404;
}

/// <summary>The caller is known but a rule forbids the action; the message names the rule, never the data.</summary>
public class AccessDeniedException(string message, string code = "forbidden") : HygieException(code, message)
{
    public override int Status => 403;
}

public class ConflictException(string message, string code = "conflict") : HygieException(code, message)
{
    public override int Status => 409;
}

/// <summary>Stored bytes failed an integrity check (tampering, truncation, wrong key).</summary>
public class IntegrityException(string message, string code = "integrity", Exception? inner = null) : HygieException(code, message, inner)
{
    public override int Status => 500;
}

/// <summary>The hub cannot proceed because of its own state or configuration (wrong passphrase, newer schema…).</summary>
public class HubStateException(string message, string code = "hub-state", Exception? inner = null) : HygieException(code, message, inner)
{
    public override int Status => 503;
}

/// <summary>A sovereignty or governance policy forbids the operation; the message names the rule.</summary>
public class PolicyViolationException(string message, string code = "policy") : HygieException(code, message)
{
    public override int Status => 403;
}
