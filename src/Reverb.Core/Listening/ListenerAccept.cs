using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Reverb.Serving;

namespace Reverb.Listening;

/// <summary>One accept on a listening socket, where the failures a server must ride out are not fatal.</summary>
internal static class ListenerAccept
{
    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(100);

    // Linux errno values .NET has no SocketError for (they arrive as SocketError.SocketError).
    private const int ENONET = 64;
    private const int EPROTO = 71;
    private const int EHOSTDOWN = 112;

    /// <summary>
    /// The next client, or null after a transient failure: a client that gave up while queued, a
    /// network error accept(2) passes on from the new connection, or descriptors or buffers running
    /// out for a moment (then it waits briefly instead of spinning). Throws only when the listener
    /// itself is closed or unusable.
    /// </summary>
    public static async Task<Socket?> AcceptOrSkipAsync(Socket listener, LogThrottle outOfDescriptors, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            return await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex) when (Classify(ex.SocketErrorCode, ex.NativeErrorCode) != AcceptFailure.Fatal)
        {
            if (Classify(ex.SocketErrorCode, ex.NativeErrorCode) == AcceptFailure.Backoff)
            {
                if (outOfDescriptors.Allow())
                {
                    ListeningLog.AcceptBackoff(logger, ex.SocketErrorCode, ex.Message);
                }

                await Task.Delay(Backoff, cancellationToken).ConfigureAwait(false);
            }

            return null;
        }
    }

    /// <summary>
    /// As <see cref="AcceptOrSkipAsync"/> for a caller that has taken one of <paramref name="slots"/>
    /// for the client: the slot is given back unless a client is returned (then its handler gives it back).
    /// </summary>
    public static async Task<Socket?> AcceptIntoSlotAsync(Socket listener, SemaphoreSlim slots, LogThrottle failures, ILogger logger, CancellationToken cancellationToken)
    {
        Socket? client = null;
        try
        {
            client = await AcceptOrSkipAsync(listener, failures, logger, cancellationToken).ConfigureAwait(false);
            return client;
        }
        finally
        {
            if (client is null)
            {
                slots.Release();
            }
        }
    }

    /// <summary>
    /// accept(2) on Linux: "pending network errors on the new socket" (ENETDOWN, EPROTO, ENOPROTOOPT,
    /// EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH), firewall refusals (EPERM), aborted
    /// connections and signals should be retried; so should running out of descriptors or memory, after
    /// a pause. Only a listener that is closed or no socket at all ends the loop.
    /// </summary>
    internal static AcceptFailure Classify(SocketError error, int nativeError) => error switch
    {
        SocketError.ConnectionAborted or SocketError.ConnectionReset or SocketError.Interrupted or SocketError.TimedOut
            or SocketError.NetworkDown or SocketError.NetworkUnreachable or SocketError.NetworkReset or SocketError.HostUnreachable
            or SocketError.HostDown or SocketError.ProtocolOption or SocketError.OperationNotSupported or SocketError.AccessDenied
            or SocketError.WouldBlock => AcceptFailure.Retry,
        SocketError.SocketError when nativeError is ENONET or EPROTO or EHOSTDOWN => AcceptFailure.Retry,
        SocketError.OperationAborted or SocketError.InvalidArgument or SocketError.NotSocket or SocketError.Fault => AcceptFailure.Fatal,
        _ => AcceptFailure.Backoff,
    };
}
