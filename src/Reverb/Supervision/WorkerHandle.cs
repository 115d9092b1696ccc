using System.Diagnostics;

namespace Reverb.Supervision;

/// <summary>The master's record of one worker process: its channel, state and current client.</summary>
internal sealed class WorkerHandle : IDisposable
{
    public WorkerHandle(Process process, MasterChannel channel, int slot = 0)
    {
        Slot = slot;
        Process = process;
        Channel = channel;
        Pid = process.Id;
    }

    public Process Process { get; }

    public MasterChannel Channel { get; }

    public int Pid { get; }

    /// <summary>Which place in a fixed group this worker holds (the workers model); its replacement takes the same.</summary>
    public int Slot { get; }

    public WorkerState State { get; set; } = WorkerState.Starting;

    /// <summary>The client being served (process model), with its connection id and start time.</summary>
    public ClientAssignment? Client { get; set; }

    public int Served { get; set; }

    /// <summary>
    /// Hands each message from the worker to <paramref name="onMessage"/> until its channel closes
    /// (it exited or died), then waits, bounded, for the runtime to reap it so its exit status is known.
    /// </summary>
    public async Task ListenUntilExitAsync(Action<ChannelMessage> onMessage)
    {
        while (await Channel.ReceiveAsync(CancellationToken.None).ConfigureAwait(false) is { } message)
        {
            onMessage(message);
        }

        await ChildProcesses.Completes(Process.WaitForExitAsync(), TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }

    public void Dispose()
    {
        Channel.Dispose();
        Process.Dispose();
    }
}
