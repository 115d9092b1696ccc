using Reverb.Interop;

namespace Reverb.Forking;

/// <summary>
/// With --clients-per-process above 1: the forking process hands an accepted client (its descriptor
/// and its slot) to whichever idle child reads first from one SOCK_SEQPACKET pair that every idle
/// child waits on. The kernel gives each message to exactly one reader. A message without a
/// descriptor tells the one child that reads it to exit (retiring surplus idle children).
/// </summary>
/// <remarks>The child's side runs in forked children: allocation-free.</remarks>
internal static unsafe class ClientHandoff
{
    private const int Retire = -1;

    public static bool Hand(int socket, int slot, int client) =>
        UnixChannelSocket.Send(socket, new ReadOnlySpan<byte>(&slot, sizeof(int)), client);

    public static bool RetireOne(int socket)
    {
        int retire = Retire;
        return UnixChannelSocket.Send(socket, new ReadOnlySpan<byte>(&retire, sizeof(int)));
    }

    /// <summary>
    /// In an idle child: waits for a client, or for SIGTERM on <paramref name="signalFd"/>.
    /// False when the child should exit (retired, SIGTERM, or the forking process's side closed).
    /// </summary>
    public static bool TryTake(int socket, int signalFd, out int slot, out int client)
    {
        slot = Retire;
        client = -1;
        Posix.PollFd* fds = stackalloc Posix.PollFd[2];
        byte* info = stackalloc byte[128];
        while (true)
        {
            fds[0] = new Posix.PollFd { Fd = socket, Events = Posix.POLLIN };
            fds[1] = new Posix.PollFd { Fd = signalFd, Events = Posix.POLLIN };
            if (Posix.poll(fds, 2, -1) < 0)
            {
                continue;
            }

            if (fds[1].Revents != 0)
            {
                while (Posix.read(signalFd, info, 128) == 128)
                {
                    if (*(int*)info == Posix.SIGTERM)
                    {
                        return false;
                    }
                }
            }

            if (fds[0].Revents != 0)
            {
                int received;
                int length = UnixChannelSocket.Receive(socket, new Span<byte>(&received, sizeof(int)), out client, out _);
                slot = received;
                return length == sizeof(int) && received != Retire && client >= 0;
            }
        }
    }
}
