namespace Hygie.Server;

public sealed record ServerOptions
{
    /// <summary>Loopback by default: exposing the hub is a deliberate choice.</summary>
    public string Urls { get; init; } = "http://127.0.0.1:5080";

    /// <summary>Largest request body accepted (deposits stream larger files through their own route limits).</summary>
    public long MaxRequestBodyBytes { get; init; } = 64L << 20;

    /// <summary>An OpenID Connect provider whose JWTs are accepted beside hub tokens; none by default.</summary>
    public Auth.OidcOptions? Oidc { get; init; }

    /// <summary>A trusted reverse proxy's header carrying the client's country (off by default).</summary>
    public AccessCountryOptions? AccessCountry { get; init; }
}
