using System.Runtime.InteropServices;
using Reverb.Interop;

namespace Reverb.Forking;

/// <summary>
/// With --clients-per-process above 1, what a reused child tells the forking process: that it has
/// started a client handed to it, or finished one (and whether it waits for another). Sent over a
/// SOCK_SEQPACKET pair shared by every child, so each report arrives whole and on its own.
/// </summary>
/// <remarks>Runs in forked children: allocation-free.</remarks>
[StructLayout(LayoutKind.Sequential)]
internal struct ChildReport
{
    public const int Started = 1;
    public const int Finished = 2;

    public int Kind;
    public int Slot;
    public int Pid;

    /// <summary>With Finished: 1 when the child waits for another client, 0 when it exits.</summary>
    public int Again;

    public readonly unsafe bool SendTo(int socket)
    {
        ChildReport copy = this;
        return UnixChannelSocket.Send(socket, new ReadOnlySpan<byte>(&copy, sizeof(ChildReport)));
    }

    public static unsafe bool TryReceive(int socket, out ChildReport report)
    {
        ChildReport received = default;
        int length = UnixChannelSocket.Receive(socket, new Span<byte>(&received, sizeof(ChildReport)), out int fd, out _);
        if (fd >= 0)
        {
            Posix.close(fd);
        }

        report = received;
        return length == sizeof(ChildReport);
    }
}
