using System.Net;
using Reverb.Commands;

namespace Reverb.Hosting;

/// <summary>Where to listen: an address (IPv4, IPv6 or a host name resolved once) and a TCP port.</summary>
internal sealed record ListenEndpoint(IPAddress Address, int Port)
{
    public static ListenEndpoint Resolve(string host, int port)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? address))
        {
            return new ListenEndpoint(address, port);
        }

        try
        {
            IPAddress[] addresses = Dns.GetHostAddresses(host);
            IPAddress? chosen = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                ?? addresses.FirstOrDefault();
            return chosen is null
                ? throw new CliException($"cannot listen on '{host}': it has no address")
                : new ListenEndpoint(chosen, port);
        }
        catch (System.Net.Sockets.SocketException)
        {
            throw new CliException($"cannot listen on '{host}': not an IP address or a known host name");
        }
    }

    public override string ToString() => new IPEndPoint(Address, Port).ToString();
}
