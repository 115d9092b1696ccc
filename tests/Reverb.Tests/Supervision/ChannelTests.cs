using System.Diagnostics;
using System.Runtime.InteropServices;
using Reverb.Interop;
using Reverb.Protocol;
using Reverb.Supervision;

namespace Reverb.Tests.Supervision;

/// <summary>
/// The master–worker channel on real socket pairs in this process: bounded sends and descriptor
/// messages the kernel truncated. (More descriptors than one would take a modified reverb, so these
/// are driven from here rather than from a worker process.)
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
            while (channel.Send(new ChannelMessage.Query(sent)) && sent < 10_000)
            {
                sent++;
            }

            Assert.InRange(sent, 1, 9_999);
            Assert.InRange(clock.Elapsed, MasterChannel.SendTimeout * 0.9, MasterChannel.SendTimeout + TimeSpan.FromSeconds(5));
            Assert.True(channel.IsNotAnswering);
            Assert.Equal(1, raised);

            // Every later send fails at once.
            clock.Restart();
            Assert.False(channel.Send(default(ChannelMessage.Retire)));
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

            Span<byte> payload = stackalloc byte[ChannelCodec.FrameSize];
            int received = UnixChannelSocket.Receive(receiver, payload, out int fd, out bool truncated);
            Assert.Equal(ChannelCodec.FrameSize, received);
            Assert.True(truncated);
            Assert.Equal(-1, fd);

            // Every copy of the write end is closed again: the read end sees end-of-file at once.
            var poll = new Posix.PollFd { Fd = pipe[0], Events = 0x1 };
            Assert.Equal(1, Posix.poll(&poll, 1, 5_000));
            byte one;
            Assert.Equal(0, (int)PipeNative.read(pipe[0], &one, 1));

            // A message with the one descriptor expected arrives whole.
            SendDescriptors(sender, [receiver]);
            Assert.Equal(ChannelCodec.FrameSize, UnixChannelSocket.Receive(receiver, payload, out fd, out truncated));
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

        byte* data = stackalloc byte[ChannelCodec.FrameSize];
        ChannelCodec.Write(new ChannelMessage.Listen(0, 1), new Span<byte>(data, ChannelCodec.FrameSize));
        var iov = new Posix.IoVec { Base = data, Length = ChannelCodec.FrameSize };
        var msg = new Posix.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)space };
        Assert.Equal(ChannelCodec.FrameSize, (int)Posix.sendmsg(socket, &msg, Posix.MSG_NOSIGNAL));
    }

    private static partial class PipeNative
    {
        [LibraryImport("libc", SetLastError = true)]
        public static partial int pipe2(int* fds, int flags);

        [LibraryImport("libc", SetLastError = true)]
        public static partial nint read(int fd, byte* buffer, nuint count);
    }
}
