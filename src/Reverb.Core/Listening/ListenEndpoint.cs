using System.Net;

namespace Reverb.Listening;

/// <summary>Where to listen: an address (IPv4, IPv6 or a host name resolved once) and a TCP port.</summary>
internal sealed record ListenEndpoint(IPAddress Address, int Port)
{
    /// <summary>An address as given (IPv6 with or without brackets), else a host name resolved once.</summary>
    /// <exception cref="ServerStartException">Not an address, and no host name that resolves.</exception>
    public static ListenEndpoint Resolve(string host, int port) => Resolve(host, port, Dns.GetHostAddresses);

    /// <param name="lookup">How host names are resolved (the tests pass one that stays off the network).</param>
    internal static ListenEndpoint Resolve(string host, int port, Func<string, IPAddress[]> lookup)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? address))
        {
            return new ListenEndpoint(address, port);
        }

        try
        {
            IPAddress[] addresses = lookup(host);
            IPAddress? chosen = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                ?? addresses.FirstOrDefault();
            return chosen is null
                ? throw new ServerStartException($"cannot listen on '{host}': it has no address")
                : new ListenEndpoint(chosen, port);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ArgumentException)
        {
            // ArgumentException: a name the resolver will not even try (over 255 characters, for one).
            throw new ServerStartException($"cannot listen on '{host}': not an IP address or a known host name");
        }
    }

    public override string ToString() => new IPEndPoint(Address, Port).ToString();
}
