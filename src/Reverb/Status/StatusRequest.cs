using System.Net.Sockets;
using System.Text.Json;
using Reverb.Monitoring;

namespace Reverb.Status;

/// <summary><c>reverb status</c>'s side of the status socket: finds the server and reads its answer.</summary>
internal static class StatusRequest
{
    /// <summary>For connecting and reading the whole answer: a server asks its workers for at most a second.</summary>
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>The status socket of the server on <paramref name="port"/>, or of the only server running when it is null.</summary>
    /// <exception cref="InvalidOperationException">No such server, or several and no port given, or a directory or socket that is not safely the user's; the message says which.</exception>
    public static string Locate(int? port)
    {
        string directory = ControlPath.Directory();
        try
        {
            if (Directory.Exists(directory))
            {
                ControlPath.CheckTrusted(directory);
            }
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new InvalidOperationException($"not asking: {ex.Message}");
        }

        if (port is { } chosen)
        {
            string path = ControlPath.ForPort(chosen);
            return File.Exists(path) ? path : throw new InvalidOperationException($"no reverb server of yours is serving port {chosen} (no {path})");
        }

        // Sockets of servers that were killed stay behind; only answering ones count.
        string[] live = Directory.Exists(directory)
            ? [.. Directory.GetFiles(directory, "*" + ControlPath.Suffix).Where(ControlSocket.IsAnswered).Order(StringComparer.Ordinal)]
            : [];
        return live.Length switch
        {
            0 => throw new InvalidOperationException($"no running reverb server of yours found (nothing in {directory})"),
            1 => live[0],
            _ => throw new InvalidOperationException(
                $"several reverb servers are running (ports {string.Join(", ", live.Select(Path.GetFileNameWithoutExtension))}): choose one with --port"),
        };
    }

    public static async Task<ServerStatus> FetchAsync(string path, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            ControlPath.CheckSocket(path);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new InvalidOperationException($"not asking: {ex.Message}");
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), timeout.Token).ConfigureAwait(false);
            using var stream = new NetworkStream(socket, ownsSocket: false);
            return await JsonSerializer.DeserializeAsync(stream, StatusJson.Default.ServerStatus, timeout.Token).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"the server on {path} sent an empty answer");
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable)
        {
            throw new InvalidOperationException($"the server that made {path} is no longer running");
        }
        catch (SocketException ex)
        {
            throw new InvalidOperationException($"cannot ask the server on {path}: {ex.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"the server on {path} did not answer within {Timeout.TotalSeconds:0} s");
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"the server on {path} sent an answer this reverb cannot read: {ex.Message}");
        }
    }
}
