using System.Net;
using System.Runtime.InteropServices;
using Reverb.Echo;
using Reverb.Interop;
using Reverb.Net;

namespace Reverb.Forking;

internal static unsafe partial class ChildEchoLoop
{
    /// <summary>
    /// Runs every path of <see cref="Run"/> once in this process, over socket pairs, so that under the
    /// JIT every method a child runs is compiled and every P/Invoke bound before the first fork (a
    /// child must not JIT-allocate or resolve libraries). Call it on the thread that will fork. Leaves
    /// no descriptor open; returns how many scenarios ended as expected (all of them: <see cref="WarmUpScenarios"/>).
    /// </summary>
    public static int WarmUp(in ChildEchoSettings settings, ChildBuffers buffers)
    {
        ChildSlot* slot = (ChildSlot*)NativeMemory.AllocZeroed((nuint)sizeof(ChildSlot));
        int* log = stackalloc int[2];
        if (Posix.socketpair(Posix.AF_UNIX, Posix.SOCK_STREAM | Posix.SOCK_CLOEXEC, 0, log) != 0)
        {
            NativeMemory.Free(slot);
            return 0;
        }

        try
        {
            var v4 = SlotAddress.From(new IPEndPoint(IPAddress.Loopback, 1));
            var v6 = SlotAddress.From(new IPEndPoint(IPAddress.IPv6Loopback, 1));
            ChildEchoSettings plain = settings with { LogChunks = false, ProxyProtocol = false, IdleTimeoutMs = 0, DrainMs = 0, LogFd = log[1] };
            ChildEchoSettings text = plain with { LogChunks = true, LogJson = false };
            ChildEchoSettings json = plain with { LogChunks = true, LogJson = true };
            ChildEchoSettings proxy = text with { ProxyProtocol = true };
            ChildEchoSettings idle = plain with { IdleTimeoutMs = 1 };
            byte[] v2Long = new byte[16 + 600];
            "\r\n\r\n\0\r\nQUIT\n\x21\x11\x02\x58"u8.CopyTo(v2Long);
            byte[] v2Six = new byte[16 + 36];
            "\r\n\r\n\0\r\nQUIT\n\x21\x21\x00\x24"u8.CopyTo(v2Six);
            v2Six[16 + 15] = 1;

            int ok = 0;
            ok += Scenario(slot, text, buffers, v4, [(byte)'h', (byte)'i', (byte)'\n', 0x1b, 0xff, 0x00], Input.Close, EchoEnd.ClientClosed);
            ok += Scenario(slot, json, buffers, v6, "\"\u00e9\u202e\"\\"u8, Input.Close, EchoEnd.ClientClosed);
            ok += Scenario(slot, idle, buffers, v4, "x"u8, Input.KeepOpen, EchoEnd.IdleTimeout);
            ok += Scenario(slot, idle, buffers, v4, default, Input.Flood, EchoEnd.IdleTimeout);
            ok += Scenario(slot, plain, buffers, v4, "x"u8, Input.KeepOpen, EchoEnd.Shutdown, sigterm: true);
            ok += Scenario(slot, proxy, buffers, v4, "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\nx"u8, Input.Close, EchoEnd.ClientClosed);
            ok += Scenario(slot, proxy with { LogJson = true }, buffers, v6, "PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 1 2\r\nx"u8, Input.Close, EchoEnd.ClientClosed);
            ok += Scenario(slot, proxy, buffers, v4, "PROXY UNKNOWN\r\nx"u8, Input.Close, EchoEnd.ClientClosed);
            ok += Scenario(slot, proxy, buffers, v4, v2Long, Input.Close, EchoEnd.ClientClosed);
            ok += Scenario(slot, proxy, buffers, v6, v2Six, Input.Close, EchoEnd.ClientClosed);
            ok += Scenario(slot, proxy, buffers, v4, "GET / HTTP/1.0\r\n"u8, Input.Close, EchoEnd.Rejected);
            ok += Scenario(slot, proxy, buffers, v4, "PROXY TCP4 1 2 3 4\r\n"u8, Input.Close, EchoEnd.Rejected);
            ok += Scenario(slot, proxy, buffers, v4, "\r\n\r\n\0\r\nQUIT\n\x31\x11\x00\x00"u8, Input.Close, EchoEnd.Rejected);
            ok += Scenario(slot, proxy, buffers, v4, "PROX"u8, Input.Close, EchoEnd.Rejected);
            ok += Scenario(slot, proxy with { ProxyTimeoutMs = 1 }, buffers, v4, default, Input.KeepOpen, EchoEnd.Rejected);
            return ok;
        }
        finally
        {
            Posix.close(log[0]);
            Posix.close(log[1]);
            NativeMemory.Free(slot);
        }
    }

    /// <summary>How many scenarios <see cref="WarmUp"/> runs.</summary>
    public const int WarmUpScenarios = 15;

    private enum Input
    {
        Close,
        KeepOpen,
        Flood,
    }

    private static int Scenario(ChildSlot* slot, in ChildEchoSettings settings, ChildBuffers buffers, SlotAddress peer, ReadOnlySpan<byte> input, Input after, EchoEnd expected, bool sigterm = false)
    {
        int* pair = stackalloc int[2];
        int* signals = stackalloc int[2];
        signals[0] = signals[1] = -1;
        if (Posix.socketpair(Posix.AF_UNIX, Posix.SOCK_STREAM | Posix.SOCK_CLOEXEC, 0, pair) != 0)
        {
            return 0;
        }

        try
        {
            fixed (byte* bytes = input)
            {
                Posix.send(pair[1], bytes, (nuint)input.Length, Posix.MSG_DONTWAIT | Posix.MSG_NOSIGNAL);
            }

            if (after == Input.Flood)
            {
                // Fill the pair until it takes no more, and never read: the echo must stop on a full buffer.
                Span<byte> chunk = buffers.Proxy;
                fixed (byte* bytes = chunk)
                {
                    while (Posix.send(pair[1], bytes, (nuint)chunk.Length, Posix.MSG_DONTWAIT | Posix.MSG_NOSIGNAL) > 0)
                    {
                    }
                }
            }
            else if (after == Input.Close)
            {
                Posix.shutdown(pair[1], Posix.SHUT_WR);
            }

            if (sigterm && Posix.socketpair(Posix.AF_UNIX, Posix.SOCK_STREAM | Posix.SOCK_CLOEXEC, 0, signals) == 0)
            {
                // A stand-in for a signalfd: one struct signalfd_siginfo saying SIGTERM.
                byte* info = stackalloc byte[Posix.SignalInfoSize];
                new Span<byte>(info, Posix.SignalInfoSize).Clear();
                *(uint*)info = Posix.SIGTERM;
                Posix.write(signals[1], info, Posix.SignalInfoSize);
            }

            *slot = default;
            slot->Peer = peer;
            Run(pair[0], signals[0], slot, settings, buffers);
            return slot->End == (int)expected ? 1 : 0;
        }
        finally
        {
            Posix.close(pair[0]);
            Posix.close(pair[1]);
            if (signals[0] >= 0)
            {
                Posix.close(signals[0]);
                Posix.close(signals[1]);
            }
        }
    }
}
