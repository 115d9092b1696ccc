using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Reverb.Hosting;

/// <summary>One accept on a listening socket, where the failures a server must ride out are not fatal.</summary>
internal static class ListenerAccept
{
    private static readonly TimeSpan DescriptorBackoff = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The next client, or null after a transient failure: a client that gave up while queued, or
    /// descriptors or buffers running out for a moment (then it waits briefly instead of spinning).
    /// </summary>
    public static async Task<Socket?> AcceptOrSkipAsync(Socket listener, LogThrottle outOfDescriptors, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            return await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset
            or SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable or SocketError.Interrupted)
        {
            if (ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                if (outOfDescriptors.Allow())
                {
                    logger.LogWarning("out of file descriptors or buffers ({Error}); accepting again shortly", ex.SocketErrorCode);
                }

                await Task.Delay(DescriptorBackoff, cancellationToken).ConfigureAwait(false);
            }

            return null;
        }
    }
}
