using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Reverb.Interop;
using Reverb.Protocol;
using Reverb.Serving;
using Reverb.Supervision;
using Reverb.Tests.Protocol;

namespace Reverb.Tests.Supervision;

/// <summary>
/// How the master's watch over one worker treats what the worker sends. The "worker" is a real
/// process (sleep) whose channel end this test writes to, since a real reverb worker never sends
/// these messages.
/// </summary>
public sealed class WorkerHandleTests
{
    [Theory]
    [InlineData("Report with port 70000")]
    [InlineData("a frame of unknown kind 2")]
    [InlineData("Query, which only the master sends")]
    [InlineData("a frame of 12 bytes (every message is 64)")]
    public async Task An_invalid_message_gets_the_worker_killed_and_the_watch_ends_normally(string problem)
    {
        byte[] invalid = problem switch
        {
            "Report with port 70000" => RawFrame.Of((byte)ChannelMessageType.Report, code: 70_000),
            "a frame of unknown kind 2" => RawFrame.Of(2, a: 1),
            "Query, which only the master sends" => RawFrame.Of(new ChannelMessage.Query(1)),
            _ => new byte[12],
        };
        using var worker = Worker.Start();
        var delivered = new List<IWorkerMessage>();
        Task watch = worker.Handle.ListenUntilExitAsync(delivered.Add);

        worker.Send(RawFrame.Of(new ChannelMessage.Ready(worker.Handle.Pid)));
        worker.Send(invalid);
        worker.Send(RawFrame.Of(new ChannelMessage.Ready(worker.Handle.Pid)));

        // The watch ends (the worker was killed, its channel closed) instead of faulting.
        worker.CloseOurEnd();
        await watch.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(worker.Handle.Process.HasExited);
        Assert.Equal($"sent an invalid message ({problem})", worker.Handle.KilledBecause);
        Assert.Equal([new ChannelMessage.Ready(worker.Handle.Pid)], delivered);
    }

    [Fact]
    public async Task Totals_unasked_are_kept_and_not_handed_on()
    {
        using var worker = Worker.Start();
        var delivered = new List<IWorkerMessage>();
        Task watch = worker.Handle.ListenUntilExitAsync(delivered.Add);
        var totals = new ConnectionTotals(Accepted: 5, Active: 0, RejectedPerSource: 1, RejectedProxyHeader: 2, BytesIn: 30, BytesOut: 30);

        worker.Send(RawFrame.Of(new ChannelMessage.Totals(0, totals)));
        worker.Send(RawFrame.Of(new ChannelMessage.Release(IPAddress.Loopback)));

        worker.CloseOurEnd();
        ChildProcesses.TryKill(worker.Handle.Process);
        await watch.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(totals, worker.Handle.LastTotals);
        Assert.Equal([new ChannelMessage.Release(IPAddress.Loopback)], delivered);
        Assert.Null(worker.Handle.KilledBecause);
    }

    private sealed class Worker : IDisposable
    {
        private int _ourEnd;

        private Worker(WorkerHandle handle, int ourEnd)
        {
            Handle = handle;
            _ourEnd = ourEnd;
        }

        public WorkerHandle Handle { get; }

        public static Worker Start()
        {
            (int master, int worker) = UnixChannelSocket.CreatePair();
            var process = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
            return new Worker(new WorkerHandle(process, new MasterChannel(master), logger: NullLogger.Instance), worker);
        }

        public void Send(byte[] frame) => Assert.True(UnixChannelSocket.Send(_ourEnd, frame));

        /// <summary>As the worker's death would: the master's receive sees the channel close.</summary>
        public void CloseOurEnd()
        {
            if (_ourEnd >= 0)
            {
                Posix.close(_ourEnd);
                _ourEnd = -1;
            }
        }

        public void Dispose()
        {
            CloseOurEnd();
            ChildProcesses.TryKill(Handle.Process);
            Handle.Dispose();
        }
    }
}
