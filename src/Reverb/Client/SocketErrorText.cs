using System.Net.Sockets;

namespace Reverb.Client;

/// <summary>Short, lower-case descriptions of socket failures for one-line error messages.</summary>
internal static class SocketErrorText
{
    public static string Describe(SocketException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.ConnectionReset => "connection reset",
            SocketError.TimedOut => "timed out",
            SocketError.HostUnreachable => "host unreachable",
            SocketError.NetworkUnreachable => "network unreachable",
            SocketError.AddressNotAvailable => "address not available",
            SocketError.AccessDenied => "permission denied",
            _ => exception.Message.ToLowerInvariant(),
        };
    }
}
