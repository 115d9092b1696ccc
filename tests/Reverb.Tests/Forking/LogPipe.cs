using System.Net.Sockets;
using System.Text;
using Reverb.Interop;

namespace Reverb.Tests.Forking;

/// <summary>A descriptor for the loop's log lines (a Unix socket pair) and a reader that drains it.</summary>
internal sealed class LogPipe : IDisposable
{
    private readonly Socket _reader;
    private readonly MemoryStream _received = new();
    private readonly Task _drain;

    public unsafe LogPipe()
    {
        int* pair = stackalloc int[2];
        Assert.Equal(0, Posix.socketpair(Posix.AF_UNIX, Posix.SOCK_STREAM | Posix.SOCK_CLOEXEC, 0, pair));
        WriteFd = pair[1];
        _reader = new Socket(new SafeSocketHandle(pair[0], ownsHandle: true));
        _drain = Task.Run(DrainAsync);
    }

    public int WriteFd { get; private set; }

    /// <summary>Closes the write end and returns every line written.</summary>
    public async Task<string[]> CloseAndReadAsync()
    {
        Posix.close(WriteFd);
        WriteFd = -1;
        await _drain.WaitAsync(ChildLoopRun.Timeout);
        lock (_received)
        {
            string text = Encoding.UTF8.GetString(_received.ToArray());
            if (text.Length == 0)
            {
                return [];
            }

            Assert.EndsWith("\n", text, StringComparison.Ordinal);
            return text[..^1].Split('\n');
        }
    }

    public void Dispose()
    {
        if (WriteFd >= 0)
        {
            Posix.close(WriteFd);
        }

        _reader.Dispose();
    }

    private async Task DrainAsync()
    {
        byte[] buffer = new byte[65536];
        while (true)
        {
            int read = await _reader.ReceiveAsync(buffer, SocketFlags.None);
            if (read == 0)
            {
                return;
            }

            lock (_received)
            {
                _received.Write(buffer, 0, read);
            }
        }
    }
}
