using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Rescind.Core.Webhooks;

public sealed class OutboundOptions
{
    /// <summary>Lets webhook and subscription URLs reach loopback, private, link-local and other non-public
    /// addresses. Off by default: a tenant's URL must not reach the machine or its network. A local test setup, whose
    /// receivers listen on 127.0.0.1, turns it on (<c>Rescind:Outbound:AllowPrivateNetworks=true</c>).</summary>
    public bool AllowPrivateNetworks { get; set; }
}

/// <summary>
/// Where the service may send requests a tenant asked for (webhook deliveries, Circle's subscription check): the URL's
/// host is resolved and checked when it is registered, and again for every connection, on the address actually
/// dialled, so a name that later resolves elsewhere (DNS rebinding) reaches nothing it could not have reached at
/// registration.
/// </summary>
public sealed class OutboundPolicy(IOptions<OutboundOptions> options)
{
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);

    public bool AllowPrivateNetworks => options.Value.AllowPrivateNetworks;

    public bool Allows(IPAddress address) => AllowPrivateNetworks || IsPublic(address);

    /// <summary>Whether a URL may be registered: http(s), and (unless private networks are allowed, when nothing is
    /// resolved) a host that resolves, to public addresses only.</summary>
    public async Task<bool> AllowsUrlAsync(string url, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return false;
        }
        if (AllowPrivateNetworks)
        {
            return true;
        }
        var addresses = await ResolveAsync(uri.IdnHost, ct);
        return addresses.Length > 0 && addresses.All(IsPublic);
    }

    /// <summary>The connect step of the outbound HTTP client: only an allowed address is dialled.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var addresses = (await ResolveAsync(context.DnsEndPoint.Host, ct)).Where(Allows).ToArray();
        if (addresses.Length == 0)
        {
            throw new HttpRequestException(HttpRequestError.ConnectionError,
                "the destination is not a public address (Rescind:Outbound:AllowPrivateNetworks is off) or does not resolve");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        host = host.Trim('[', ']');
        if (IPAddress.TryParse(host, out var literal))
        {
            return [literal];
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ResolveTimeout);
        try
        {
            return await Dns.GetHostAddressesAsync(host, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or ArgumentException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return [];
        }
    }

    /// <summary>A globally routable unicast address: not loopback, private (RFC 1918, unique local), shared (CGNAT),
    /// link-local (which holds the cloud metadata address 169.254.169.254), unspecified, documentation, benchmarking,
    /// multicast or reserved.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] is 0 or 10 or 127 or >= 224
                     || (b[0] == 100 && b[1] is >= 64 and < 128)
                     || (b[0] == 169 && b[1] == 254)
                     || (b[0] == 172 && b[1] is >= 16 and < 32)
                     || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2)
                     || (b[0] == 192 && b[1] == 168)
                     || (b[0] == 198 && b[1] is 18 or 19)
                     || (b[0] == 198 && b[1] == 51 && b[2] == 100)
                     || (b[0] == 203 && b[1] == 0 && b[2] == 113));
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }
        var v6 = address.GetAddressBytes();
        if (v6[..12].SequenceEqual(new byte[] { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 }))
        {
            return IsPublic(new IPAddress(v6[12..])); // NAT64: the IPv4 address it carries
        }
        return !(IPAddress.IPv6Loopback.Equals(address) || IPAddress.IPv6Any.Equals(address)
                 || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal
                 || v6[..12].All(x => x == 0) // IPv4-compatible and the unspecified range
                 || (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0d && v6[3] == 0xb8)); // documentation
    }
}
