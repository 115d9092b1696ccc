using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using Reverb.Echo;
using Reverb.Interop;
using Reverb.Protocol;
using Reverb.Serving;
using Reverb.Supervision;

namespace Reverb.Tests.Supervision;

/// <summary>
/// The master–worker channel on real socket pairs in this process: bounded sends, descriptor
/// messages the kernel truncated, and the checks on what a worker sends. (A worker that sends
/// out-of-range fields or more descriptors than one would have to be a modified reverb, so these are
/// driven from here rather than from a worker process.)
/// </summary>
public sealed unsafe partial class ChannelTests
{
    [Fact]
    public void A_send_to_a_peer_that_never_reads_gives_up_after_the_send_timeout_and_declares_it_not_answering()
    {
        (int parent, int child) = UnixChannelSocket.CreatePair();
        try
        {
            using var channel = new MasterChannel(parent);
            int raised = 0;
            channel.NotAnswering += () => raised++;

            // The peer reads nothing: its queue fills within a few messages, then one send waits, bounded.
            var clock = Stopwatch.StartNew();
            int sent = 0;
            while (channel.Send(ChannelMessage.Query(sent)) && sent < 10_000)
            {
                sent++;
            }

            Assert.InRange(sent, 1, 9_999);
            Assert.InRange(clock.Elapsed, MasterChannel.SendTimeout * 0.9, MasterChannel.SendTimeout + TimeSpan.FromSeconds(5));
            Assert.True(channel.IsNotAnswering);
            Assert.Equal(1, raised);

            // Every later send fails at once.
            clock.Restart();
            Assert.False(channel.Send(ChannelMessage.Retire()));
            Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(500));
            Assert.Equal(1, raised);
        }
        finally
        {
            Posix.close(child);
        }
    }

    [Fact]
    public void A_descriptor_message_the_kernel_truncated_is_reported_and_no_descriptor_that_arrived_stays_open()
    {
        (int sender, int receiver) = UnixChannelSocket.CreatePair();
        int* pipe = stackalloc int[2];
        Assert.Equal(0, PipeNative.pipe2(pipe, Posix.SOCK_CLOEXEC));
        try
        {
            // Three copies of the pipe's write end in one message: the receiver has room for one descriptor.
            SendDescriptors(sender, [pipe[1], pipe[1], pipe[1]]);
            Posix.close(pipe[1]);

            Span<byte> payload = stackalloc byte[ChannelMessage.Size];
            int received = UnixChannelSocket.Receive(receiver, payload, out int fd, out bool truncated);
            Assert.Equal(ChannelMessage.Size, received);
            Assert.True(truncated);
            Assert.Equal(-1, fd);

            // Every copy of the write end is closed again: the read end sees end-of-file at once.
            var poll = new Posix.PollFd { Fd = pipe[0], Events = 0x1 };
            Assert.Equal(1, Posix.poll(&poll, 1, 5_000));
            byte one;
            Assert.Equal(0, (int)PipeNative.read(pipe[0], &one, 1));

            // A message with the one descriptor expected arrives whole.
            SendDescriptors(sender, [receiver]);
            Assert.Equal(ChannelMessage.Size, UnixChannelSocket.Receive(receiver, payload, out fd, out truncated));
            Assert.False(truncated);
            Assert.True(fd >= 0);
            Posix.close(fd);
        }
        finally
        {
            Posix.close(pipe[0]);
            Posix.close(sender);
            Posix.close(receiver);
        }
    }

    [Theory]
    [InlineData((byte)ChannelMessageType.Report, 70_000, 0, 0, 0, 0, 0)]
    [InlineData((byte)ChannelMessageType.Report, 80, 0, 0, -1, 0, 0)]
    [InlineData((byte)ChannelMessageType.Report, 80, 0, 0, 0, 0, long.MaxValue)]
    [InlineData((byte)ChannelMessageType.Client, -2, 0, 0, 1, 0, 0)]
    [InlineData((byte)ChannelMessageType.Totals, 0, -5, 0, 0, 0, 0)]
    [InlineData((byte)ChannelMessageType.Done, 99, 1, 0, 0, 0, 0)]
    [InlineData((byte)ChannelMessageType.Done, 1, 1, -1, 0, 0, 0)]
    [InlineData((byte)ChannelMessageType.Ready, 0, 0, 0, 0, 0, 0)]
    [InlineData((byte)ChannelMessageType.Serve, 0, 1, 0, 0, 0, 0)]
    public void A_message_with_a_field_out_of_range_is_named_as_a_problem(byte type, int code, long a, long b, long c, long d, long e)
    {
        Assert.NotNull(new ChannelMessage((ChannelMessageType)type, code, a, b, c, d, e).ProblemFromWorker());
    }

    [Fact]
    public void Messages_a_worker_really_sends_have_no_problem()
    {
        var connection = new LiveConnection(1, new IPEndPoint(IPAddress.Loopback, 4000), "x");
        ChannelMessage[] fine =
        [
            ChannelMessage.Ready(1234),
            ChannelMessage.Done(7, 10, 10, (int)EchoEnd.ClientClosed),
            ChannelMessage.Client(7, new IPEndPoint(IPAddress.Parse("2001:db8::1"), 65535)),
            ChannelMessage.Client(7, null),
            ChannelMessage.Report(3, connection),
            ChannelMessage.Totals(3, new ConnectionTotals(5, 1, 2, 3, 4, 5)),
            ChannelMessage.Admit(9, IPAddress.Loopback),
            ChannelMessage.Release(IPAddress.Loopback),
        ];
        Assert.All(fine, m => Assert.Null(m.ProblemFromWorker()));
    }

    private static void SendDescriptors(int socket, int[] fds)
    {
        int space = 16 + (((fds.Length * 4) + 7) & ~7);
        byte* control = stackalloc byte[space];
        new Span<byte>(control, space).Clear();
        var header = (Posix.CMsgHdr*)control;
        header->Length = (nuint)(16 + (fds.Length * 4));
        header->Level = Posix.SOL_SOCKET;
        header->Type = Posix.SCM_RIGHTS;
        for (int i = 0; i < fds.Length; i++)
        {
            ((int*)(control + 16))[i] = fds[i];
        }

        byte* data = stackalloc byte[ChannelMessage.Size];
        ChannelMessage.Serve(1).WriteTo(new Span<byte>(data, ChannelMessage.Size));
        var iov = new Posix.IoVec { Base = data, Length = ChannelMessage.Size };
        var msg = new Posix.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)space };
        Assert.Equal(ChannelMessage.Size, (int)Posix.sendmsg(socket, &msg, Posix.MSG_NOSIGNAL));
    }

    private static partial class PipeNative
    {
        [LibraryImport("libc", SetLastError = true)]
        public static partial int pipe2(int* fds, int flags);

        [LibraryImport("libc", SetLastError = true)]
        public static partial nint read(int fd, byte* buffer, nuint count);
    }
}
