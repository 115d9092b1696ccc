using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Reverb.Echo;
using Reverb.Interop;
using Reverb.Monitoring;
using Reverb.Protocol;
using Reverb.Serving;
using Reverb.Supervision;

namespace Reverb.Tests.Supervision;

/// <summary>
/// How the master's watch over one worker treats what the worker sends. The "worker" is a real
/// process (sleep) whose channel end this test writes to, since a real reverb worker never sends
/// these messages.
/// </summary>
public sealed class WorkerHandleTests
{
    [Fact]
    public async Task An_out_of_range_field_gets_the_worker_killed_and_the_watch_ends_normally()
    {
        using var worker = Worker.Start();
        var delivered = new List<ChannelMessage>();
        Task watch = worker.Handle.ListenUntilExitAsync(delivered.Add);

        worker.Send(ChannelMessage.Ready(worker.Handle.Pid));
        worker.Send(new ChannelMessage(ChannelMessageType.Report, 70_000, 0, 0, 0, 0, 0, 0));
        worker.Send(ChannelMessage.Ready(worker.Handle.Pid));

        // The watch ends (the worker was killed, its channel closed) instead of faulting.
        worker.CloseOurEnd();
        await watch.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(worker.Handle.Process.HasExited);
        Assert.Contains("Report with port 70000", worker.Handle.KilledBecause, StringComparison.Ordinal);
        Assert.Single(delivered);
    }

    [Fact]
    public async Task A_done_for_a_connection_the_worker_does_not_hold_is_ignored()
    {
        using var worker = Worker.Start();
        var delivered = new List<ChannelMessage>();
        Task watch = worker.Handle.ListenUntilExitAsync(delivered.Add);
        worker.Handle.Client = new LiveConnection(42, null, "client");

        worker.Send(ChannelMessage.Done(41, 1, 1, (int)EchoEnd.ClientClosed));
        worker.Send(ChannelMessage.Done(42, 5, 5, (int)EchoEnd.ClientClosed));

        worker.CloseOurEnd();
        ChildProcesses.TryKill(worker.Handle.Process);
        await watch.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal([42L], delivered.Select(m => m.A));
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

        public void Send(ChannelMessage message)
        {
            Span<byte> payload = stackalloc byte[ChannelMessage.Size];
            message.WriteTo(payload);
            Assert.True(UnixChannelSocket.Send(_ourEnd, payload));
        }

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
