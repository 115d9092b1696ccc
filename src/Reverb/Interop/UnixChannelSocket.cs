using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Reverb.Interop;

/// <summary>
/// Fixed-size messages over an AF_UNIX SOCK_SEQPACKET socket, optionally carrying one file
/// descriptor (SCM_RIGHTS). Sequenced packets keep message boundaries, so no framing is needed.
/// </summary>
internal static unsafe class UnixChannelSocket
{
    // CMSG_SPACE(sizeof(int)) on 64-bit Linux: 16-byte header + 4 bytes aligned to 8.
    private const int ControlSpace = 24;
    private const int ControlLength = 20;

    /// <summary>Creates a connected pair; both ends are close-on-exec.</summary>
    public static (int Parent, int Child) CreatePair()
    {
        int* sv = stackalloc int[2];
        if (Libc.socketpair(Libc.AF_UNIX, Libc.SOCK_SEQPACKET | Libc.SOCK_CLOEXEC, 0, sv) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "socketpair failed");
        }

        return (sv[0], sv[1]);
    }

    public static void SetCloseOnExec(int fd, bool enabled)
    {
        if (Libc.fcntl(fd, Libc.F_SETFD, enabled ? Libc.FD_CLOEXEC : 0) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "fcntl(F_SETFD) failed");
        }
    }

    /// <summary>Sends one message, with <paramref name="fd"/> attached when it is not -1. Retries on EINTR/EAGAIN.</summary>
    /// <returns>false when the peer has gone (EPIPE, ECONNRESET, ...).</returns>
    public static bool Send(int socket, ReadOnlySpan<byte> payload, int fd = -1)
    {
        byte* control = stackalloc byte[ControlSpace];
        fixed (byte* data = payload)
        {
            var iov = new Libc.IoVec { Base = data, Length = (nuint)payload.Length };
            var msg = new Libc.MsgHdr { Iov = &iov, IovLength = 1 };
            if (fd >= 0)
            {
                new Span<byte>(control, ControlSpace).Clear();
                var header = (Libc.CMsgHdr*)control;
                header->Length = ControlLength;
                header->Level = Libc.SOL_SOCKET;
                header->Type = Libc.SCM_RIGHTS;
                *(int*)(control + sizeof(Libc.CMsgHdr)) = fd;
                msg.Control = control;
                msg.ControlLength = ControlSpace;
            }

            SpinWait spin = default;
            while (true)
            {
                nint sent = Libc.sendmsg(socket, &msg, Libc.MSG_NOSIGNAL);
                if (sent >= 0)
                {
                    return true;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR)
                {
                    continue;
                }

                if (errno == Libc.EAGAIN)
                {
                    // The channel is non-blocking on the master's side; the peer drains it promptly.
                    spin.SpinOnce(sleep1Threshold: 10);
                    continue;
                }

                return false;
            }
        }
    }

    /// <summary>
    /// Blocks until one message arrives. Returns the payload length (0 when the peer has closed)
    /// and the received descriptor, or -1 when none came with it.
    /// </summary>
    public static int Receive(int socket, Span<byte> payload, out int fd)
    {
        fd = -1;
        byte* control = stackalloc byte[ControlSpace];
        fixed (byte* data = payload)
        {
            var iov = new Libc.IoVec { Base = data, Length = (nuint)payload.Length };
            var msg = new Libc.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = ControlSpace };
            nint received;
            do
            {
                received = Libc.recvmsg(socket, &msg, Libc.MSG_CMSG_CLOEXEC);
            }
            while (received < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR);

            if (received < 0)
            {
                // A reset channel means the same as a closed one: the peer is gone.
                return 0;
            }

            if (msg.ControlLength >= ControlLength)
            {
                var header = (Libc.CMsgHdr*)control;
                if (header->Level == Libc.SOL_SOCKET && header->Type == Libc.SCM_RIGHTS)
                {
                    fd = *(int*)(control + sizeof(Libc.CMsgHdr));
                }
            }

            return (int)received;
        }
    }
}
