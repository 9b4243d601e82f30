using System.Net;
using System.Net.Sockets;

namespace Hygie.Fhir.Subscriptions;

/// <summary>A webhook destination the hub will not connect to (a loopback, link-local or private address).</summary>
public sealed class WebhookAddressRefusedException(string message) : Exception(message);

/// <summary>
/// Where the hub may post notifications: http(s) only, and — unless the operator allows private networks
/// (<see cref="FhirOptions.AllowPrivateNetworkWebhooks"/>) — never to loopback, link-local, private, shared, multicast
/// or reserved addresses, so that a Subscription cannot make the hub reach its own host or internal network (SSRF).
/// The URL is checked when the Subscription is written; the address the host resolves to is checked again at every
/// delivery, and it is the address connected to.
/// </summary>
public static class WebhookAddresses
{
    public const string Refusal = "webhooks may not reach loopback, link-local or private addresses on this hub " +
                                  "(the operator allows them with HYGIE__FHIR__SUBSCRIPTIONS__ALLOWPRIVATENETWORKS=true)";

    /// <summary>Null when <paramref name="endpoint"/> may receive notifications; otherwise why not.</summary>
    public static string? UrlProblem(string? endpoint, bool allowPrivate)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            return "channel.endpoint must be an absolute http or https URL";
        if (allowPrivate) return null;
        var host = uri.IdnHost.TrimEnd('.');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            return $"channel.endpoint names this host: {Refusal}";
        if (IPAddress.TryParse(uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.Host, out var address) && !IsPublic(address))
            return $"channel.endpoint is not a public address: {Refusal}";
        return null;
    }

    /// <summary>
    /// The address to connect to for <paramref name="host"/>: resolved now, every answer checked (a host that resolves to
    /// any private address is refused, whatever else it resolves to).
    /// </summary>
    public static async Task<IPAddress> ResolveAsync(string host, bool allowPrivate, Func<string, CancellationToken, Task<IPAddress[]>> resolve, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await resolve(host, ct);
        if (addresses.Length == 0) throw new WebhookAddressRefusedException("the endpoint's host name resolves to no address");
        if (!allowPrivate && addresses.Any(a => !IsPublic(a)))
            throw new WebhookAddressRefusedException($"the endpoint resolves to a non-public address: {Refusal}");
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses[0];
    }

    /// <summary>False for loopback, unspecified, link-local, private (RFC 1918, ULA), shared (CGNAT), benchmark, multicast and reserved addresses.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224
                     || (b[0] == 100 && b[1] >= 64 && b[1] < 128)
                     || (b[0] == 169 && b[1] == 254)
                     || (b[0] == 172 && b[1] >= 16 && b[1] < 32)
                     || (b[0] == 192 && b[1] == 168)
                     || (b[0] == 192 && b[1] == 0 && (b[2] == 0 || b[2] == 2))
                     || (b[0] == 198 && (b[1] == 18 || b[1] == 19))
                     || (b[0] == 198 && b[1] == 51 && b[2] == 100)
                     || (b[0] == 203 && b[1] == 0 && b[2] == 113));
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return false;
        if (IPAddress.IPv6Loopback.Equals(address) || IPAddress.IPv6None.Equals(address)
            || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal)
            return false;
        var v6 = address.GetAddressBytes();
        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4 address: judge that one.
        if (v6[0] == 0x00 && v6[1] == 0x64 && v6[2] == 0xff && v6[3] == 0x9b && v6[4..12].All(x => x == 0))
            return IsPublic(new IPAddress(v6[12..]));
        if (v6[0] == 0x20 && v6[1] == 0x02) return IsPublic(new IPAddress(v6[2..6]));
        // Documentation (2001:db8::/32) and the IPv4-compatible / unspecified range (::/96).
        if (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0d && v6[3] == 0xb8) return false;
        return !v6[..12].All(x => x == 0);
    }
}
