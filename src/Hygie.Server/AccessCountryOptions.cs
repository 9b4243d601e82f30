using System.Net;
using Hygie.Core.Errors;

namespace Hygie.Server;

/// <summary>
/// Where the country of an access comes from, beside the country of the account's organisation: a header that a
/// trusted reverse proxy sets from its own lookup of the client's address (e.g. <c>X-Client-Country</c> from a GeoIP
/// module, <c>CF-IPCountry</c>). Off unless both a header and the proxies' addresses are configured
/// (<c>AccessCountry</c> in appsettings.json, <c>HYGIE__ACCESSCOUNTRY__HEADER</c>,
/// <c>HYGIE__ACCESSCOUNTRY__TRUSTEDPROXIES</c>); the header of a request from any other address is ignored, since
/// anyone can send it.
/// </summary>
public sealed record AccessCountryOptions
{
    /// <summary>The request header holding the client's ISO 3166-1 alpha-2 country.</summary>
    public string? Header { get; init; }

    /// <summary>Comma-separated addresses or CIDR ranges of the reverse proxies allowed to set <see cref="Header"/>.</summary>
    public string? TrustedProxies { get; init; }

    /// <summary>The parsed <see cref="TrustedProxies"/>; throws a one-line error naming the bad entry.</summary>
    public IReadOnlyList<IPNetwork> Networks()
    {
        var list = new List<IPNetwork>();
        foreach (var part in (TrustedProxies ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPNetwork.TryParse(part, out var network)) list.Add(network);
            else if (IPAddress.TryParse(part, out var address)) list.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            else throw new HubStateException($"AccessCountry:TrustedProxies holds '{part}', which is neither an address nor a CIDR range", "server-config");
        }
        return list;
    }

    /// <summary>Checks the settings: a header needs the proxies allowed to set it.</summary>
    public AccessCountryOptions Validate()
    {
        if (string.IsNullOrWhiteSpace(Header)) return this;
        if (Networks().Count == 0)
            throw new HubStateException(
                $"AccessCountry:Header is '{Header}' but no AccessCountry:TrustedProxies are given: name the reverse proxies allowed to set it (HYGIE__ACCESSCOUNTRY__TRUSTEDPROXIES)",
                "server-config");
        return this;
    }
}

/// <summary>The country of an account's organisation, as the hub's accounts record it (the governance module provides it).</summary>
public interface IAccountCountries
{
    Task<string?> CountryOfAsync(string subject, CancellationToken ct);
}
