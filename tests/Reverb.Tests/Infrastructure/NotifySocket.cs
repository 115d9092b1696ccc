using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Reverb.Tests.Infrastructure;

/// <summary>
/// A real AF_UNIX datagram socket standing in for systemd's notification socket: pass <see cref="Address"/>
/// as NOTIFY_SOCKET and read what the server sends, one datagram a message, as systemd would.
/// </summary>
public sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly string? _path;

    /// <param name="abstractName">Bind in the abstract namespace (NOTIFY_SOCKET=@name) instead of a file.</param>
    public NotifySocket(bool abstractName = false)
    {
        string name = $"reverb-notify-{Environment.ProcessId}-{Guid.NewGuid():N}";
        if (abstractName)
        {
            Address = "@" + name;
            _socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
        }
        else
        {
            _path = Path.Combine(Path.GetTempPath(), name + ".sock");
            Address = _path;
            _socket.Bind(new UnixDomainSocketEndPoint(_path));
        }
    }

    /// <summary>The NOTIFY_SOCKET value: a path, or @name for the abstract namespace.</summary>
    public string Address { get; }

    /// <summary>The next message; throws <see cref="TimeoutException"/> when none comes in time.</summary>
    public async Task<string> ReceiveAsync(TimeSpan timeout)
    {
        byte[] buffer = new byte[4096];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            int n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            return Encoding.UTF8.GetString(buffer, 0, n);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no notification within {timeout.TotalSeconds:0.#} s");
        }
    }

    /// <summary>Drops the messages waiting to be read, so that the next one read is fresh (for timing).</summary>
    public void DiscardWaiting()
    {
        byte[] buffer = new byte[4096];
        while (_socket.Available > 0)
        {
            _socket.Receive(buffer);
        }
    }

    /// <summary>Reads messages until one has the line <paramref name="line"/> (e.g. READY=1); returns it.</summary>
    public async Task<string> WaitForAsync(string line, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var seen = new List<string>();
        while (true)
        {
            TimeSpan left = timeout - deadline.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"no {line} within {timeout.TotalSeconds:0} s; got: {string.Join(" | ", seen)}");
            }

            string message = await ReceiveAsync(left);
            if (message.Split('\n').Contains(line))
            {
                return message;
            }

            seen.Add(message.Replace('\n', ' '));
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        if (_path is not null)
        {
            File.Delete(_path);
        }
    }
}
