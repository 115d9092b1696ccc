using System.Net;
using System.Net.Sockets;

namespace Reverb.Client;

/// <summary>Turns the HOST PORT arguments of the client and the load tester into an endpoint, IPv4 preferred.</summary>
internal static class EndpointResolver
{
    public static async Task<IPEndPoint> ResolveAsync(string host, int port, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            return new IPEndPoint(literal, port);
        }

        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            addresses = [];
        }

        IPAddress address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault()
            ?? throw new EchoClientException($"cannot resolve host '{host}'");
        return new IPEndPoint(address, port);
    }
}
