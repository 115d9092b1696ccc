using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Reverb.Monitoring;

/// <summary>
/// The master's status socket (a Unix socket in a directory only its owner can enter): every
/// connection gets the current <see cref="ServerStatus"/> as JSON, then the socket closes.
/// </summary>
internal sealed class ControlSocket : IAsyncDisposable
{
    private const int MaxConcurrentRequests = 8;
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);

    private readonly RequestListener _requests;
    private readonly string _path;

    private ControlSocket(Socket listener, string path, StatusBoard board, ILogger logger)
    {
        _path = path;
        _requests = new RequestListener(listener, MaxConcurrentRequests, AnswerTimeout, async (client, cancellationToken) =>
        {
            ServerStatus status = await board.CaptureAsync(cancellationToken).ConfigureAwait(false);
            byte[] json = JsonSerializer.SerializeToUtf8Bytes(status, StatusJson.Default.ServerStatus);
            await client.SendAsync(json, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            client.Shutdown(SocketShutdown.Send);
        }, logger);
    }

    /// <summary>Opens the status socket for <paramref name="port"/>; null (with a warning) when it cannot.</summary>
    /// <param name="takeOver">
    /// An upgraded master takes the path from the master it replaces (which has closed its own by then,
    /// or has gone without): bound beside it and renamed over whatever is left there.
    /// </param>
    public static ControlSocket? TryStart(int port, StatusBoard board, ILogger logger, bool takeOver = false)
    {
        string path;
        try
        {
            ControlPath.EnsurePrivateDirectory();
            path = ControlPath.ForPort(port);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            MonitoringLog.StatusDirectoryFailed(logger, ControlPath.Directory(), ex.Message);
            return null;
        }

        if (!takeOver && File.Exists(path) && IsAnswered(path))
        {
            MonitoringLog.StatusSocketTaken(logger, path);
            return null;
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            // A socket left by a server that died is stale: replace it.
            string bound = takeOver ? $"{path}.{Environment.ProcessId}" : path;
            File.Delete(bound);
            listener.Bind(new UnixDomainSocketEndPoint(bound));
            File.SetUnixFileMode(bound, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(16);
            if (takeOver)
            {
                File.Move(bound, path, overwrite: true);
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            listener.Dispose();
            MonitoringLog.StatusListenFailed(logger, path, ex.Message);
            return null;
        }

        MonitoringLog.StatusSocket(logger, path);
        return new ControlSocket(listener, path, board, logger);
    }

    public async ValueTask DisposeAsync()
    {
        await _requests.DisposeAsync().ConfigureAwait(false);
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Whether a server answers on <paramref name="path"/> (a socket left by a dead one does not).</summary>
    internal static bool IsAnswered(string path)
    {
        // Non-blocking: a server whose queue is full (or a socket that never accepts) must not hang the probe.
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress;
        }
    }
}
