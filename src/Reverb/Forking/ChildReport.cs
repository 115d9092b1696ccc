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

    public readonly bool SendTo(int socket) => UnixChannelSocket.SendValue(socket, this);

    public static bool TryReceive(int socket, out ChildReport report) => UnixChannelSocket.TryReceiveValue(socket, out report);
}
