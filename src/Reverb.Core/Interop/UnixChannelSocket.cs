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
        if (Posix.socketpair(Posix.AF_UNIX, Posix.SOCK_SEQPACKET | Posix.SOCK_CLOEXEC, 0, sv) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "socketpair failed");
        }

        return (sv[0], sv[1]);
    }

    public static void SetSendBuffer(int fd, int bytes)
    {
        if (Posix.setsockopt(fd, Posix.SOL_SOCKET, Posix.SO_SNDBUF, &bytes, sizeof(int)) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "setsockopt(SO_SNDBUF) failed");
        }
    }

    public static void SetCloseOnExec(int fd, bool enabled)
    {
        if (Posix.fcntl(fd, Posix.F_SETFD, enabled ? Posix.FD_CLOEXEC : 0) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "fcntl(F_SETFD) failed");
        }
    }

    /// <summary>Sends one message, with <paramref name="fd"/> attached when it is not -1, waiting as long as it takes for room.</summary>
    /// <returns>false when the peer has gone (EPIPE, ECONNRESET, ...).</returns>
    public static bool Send(int socket, ReadOnlySpan<byte> payload, int fd = -1) =>
        TrySend(socket, payload, fd, Timeout.InfiniteTimeSpan) == SendResult.Sent;

    /// <summary>
    /// Sends one message, with <paramref name="fd"/> attached when it is not -1. Retries on EINTR; on
    /// EAGAIN (a non-blocking socket whose peer has not read its queue) waits for room with poll(2),
    /// but no longer than <paramref name="timeout"/> in all (infinite: no limit).
    /// </summary>
    public static SendResult TrySend(int socket, ReadOnlySpan<byte> payload, int fd, TimeSpan timeout)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        byte* control = stackalloc byte[ControlSpace];
        fixed (byte* data = payload)
        {
            var iov = new Posix.IoVec { Base = data, Length = (nuint)payload.Length };
            var msg = new Posix.MsgHdr { Iov = &iov, IovLength = 1 };
            if (fd >= 0)
            {
                new Span<byte>(control, ControlSpace).Clear();
                var header = (Posix.CMsgHdr*)control;
                header->Length = ControlLength;
                header->Level = Posix.SOL_SOCKET;
                header->Type = Posix.SCM_RIGHTS;
                *(int*)(control + sizeof(Posix.CMsgHdr)) = fd;
                msg.Control = control;
                msg.ControlLength = ControlSpace;
            }

            // With a time limit, never block inside sendmsg, whatever the descriptor's own mode.
            int flags = Posix.MSG_NOSIGNAL | (timeout == Timeout.InfiniteTimeSpan ? 0 : Posix.MSG_DONTWAIT);
            while (true)
            {
                nint sent = Posix.sendmsg(socket, &msg, flags);
                if (sent >= 0)
                {
                    return SendResult.Sent;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno == Posix.EINTR)
                {
                    continue;
                }

                if (errno != Posix.EAGAIN)
                {
                    return SendResult.Gone;
                }

                int waitMs = Timeout.Infinite;
                if (timeout != Timeout.InfiniteTimeSpan)
                {
                    TimeSpan left = timeout - System.Diagnostics.Stopwatch.GetElapsedTime(started);
                    if (left <= TimeSpan.Zero)
                    {
                        return SendResult.TimedOut;
                    }

                    waitMs = (int)Math.Ceiling(Math.Min(left.TotalMilliseconds, int.MaxValue));
                }

                // Wakes when the peer has read (room again) or has gone (the next sendmsg says so).
                var poll = new Posix.PollFd { Fd = socket, Events = Posix.POLLOUT };
                Posix.poll(&poll, 1, waitMs);
            }
        }
    }

    /// <summary>Sends one fixed-size message that is <paramref name="value"/>'s bytes (allocation-free: forked children use it).</summary>
    /// <returns>false when the peer has gone.</returns>
    public static bool SendValue<T>(int socket, in T value)
        where T : unmanaged
    {
        T copy = value;
        return Send(socket, new ReadOnlySpan<byte>(&copy, sizeof(T)));
    }

    /// <summary>
    /// Blocks for one fixed-size message and reads it as a <typeparamref name="T"/>; a descriptor sent
    /// with it is closed. False when the peer has gone or the message was not exactly that size.
    /// </summary>
    public static bool TryReceiveValue<T>(int socket, out T value)
        where T : unmanaged
    {
        T received = default;
        int length = Receive(socket, new Span<byte>(&received, sizeof(T)), out int fd, out _);
        if (fd >= 0)
        {
            Posix.close(fd);
        }

        value = received;
        return length == sizeof(T);
    }

    /// <summary>
    /// Blocks until one message arrives. Returns the payload length (0 when the peer has closed)
    /// and the received descriptor, or -1 when none came with it.
    /// </summary>
    /// <param name="truncated">
    /// The descriptors sent with the message did not all arrive (MSG_CTRUNC: the receiver was out of
    /// descriptors, or more came than one): any that did arrive are closed and <paramref name="fd"/>
    /// is -1, so the caller can close the client that was lost rather than wait for it.
    /// </param>
    public static int Receive(int socket, Span<byte> payload, out int fd, out bool truncated)
    {
        fd = -1;
        truncated = false;
        byte* control = stackalloc byte[ControlSpace];
        fixed (byte* data = payload)
        {
            var iov = new Posix.IoVec { Base = data, Length = (nuint)payload.Length };
            var msg = new Posix.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = ControlSpace };
            nint received;
            do
            {
                received = Posix.recvmsg(socket, &msg, Posix.MSG_CMSG_CLOEXEC);
            }
            while (received < 0 && Marshal.GetLastPInvokeError() == Posix.EINTR);

            if (received < 0)
            {
                // A reset channel means the same as a closed one: the peer is gone.
                return 0;
            }

            int arrived = 0;
            if (msg.ControlLength >= ControlLength)
            {
                var header = (Posix.CMsgHdr*)control;
                if (header->Level == Posix.SOL_SOCKET && header->Type == Posix.SCM_RIGHTS)
                {
                    // Every descriptor that came: one is expected; more mean a broken sender, and are not kept.
                    int* fds = (int*)(control + sizeof(Posix.CMsgHdr));
                    arrived = (int)((Math.Min(header->Length, msg.ControlLength) - (nuint)sizeof(Posix.CMsgHdr)) / sizeof(int));
                    fd = arrived > 0 ? fds[0] : -1;
                    for (int i = 1; i < arrived; i++)
                    {
                        Posix.close(fds[i]);
                    }
                }
            }

            if ((msg.Flags & Posix.MSG_CTRUNC) != 0 || arrived > 1)
            {
                truncated = true;
                if (fd >= 0)
                {
                    Posix.close(fd);
                    fd = -1;
                }
            }

            return (int)received;
        }
    }
}

/// <summary>How <see cref="UnixChannelSocket.TrySend"/> ended.</summary>
internal enum SendResult
{
    Sent,

    /// <summary>The peer has gone.</summary>
    Gone,

    /// <summary>The peer did not make room within the time allowed: it is stopped or stuck.</summary>
    TimedOut,
}
