using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Reverb.Hosting;
using Reverb.Interop;
using Reverb.Protocol;

namespace Reverb.Supervision;

/// <summary>
/// Starts worker processes: the same reverb executable in its worker role, each with its own
/// private socket pair to the master.
/// </summary>
/// <remarks>
/// The pair is created close-on-exec; only the child's end has that flag cleared, and only for the
/// duration of one start (<see cref="InheritingStart"/>, one lock for every such start), so no other
/// child ever inherits a channel that is not its own.
/// </remarks>
internal sealed class WorkerLauncher
{
    private readonly ReverbSelf _self = ReverbSelf.Current();
    private readonly int _masterPid = Environment.ProcessId;

    // A test hook, not a setting: the tests that stop a worker make its channel hold a few messages
    // (the kernel's minimum) instead of about 280, so that it fills in seconds rather than minutes.
    private readonly int _channelSendBuffer =
        int.TryParse(Environment.GetEnvironmentVariable("REVERB_TEST_CHANNEL_SEND_BUFFER"), out int bytes) && bytes > 0 ? bytes : 0;

    /// <summary>Starts a worker; null, with the reason in <paramref name="failure"/>, when the system refuses a new process (not logged).</summary>
    public WorkerHandle? TryLaunch(WorkerSettings settings, ILogger logger, int slot, out string? failure)
    {
        try
        {
            (Process process, MasterChannel channel) = Launch(settings);
            failure = null;
            return new WorkerHandle(process, channel, slot, logger);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            failure = ex.Message;
            return null;
        }
    }

    private (Process Process, MasterChannel Channel) Launch(WorkerSettings settings)
    {
        (int parentEnd, int childEnd) = UnixChannelSocket.CreatePair();
        try
        {
            if (_channelSendBuffer > 0)
            {
                UnixChannelSocket.SetSendBuffer(parentEnd, _channelSendBuffer);
            }

            ProcessStartInfo start = _self.StartInfo((settings with { MasterPid = _masterPid, ChannelFd = childEnd }).ToArguments());

            // No diagnostics IPC socket per worker (JIT builds open one in /tmp): a worker holds only its channel and its client.
            start.Environment["DOTNET_EnableDiagnostics_IPC"] = "0";

            Process process = InheritingStart.Start([childEnd], () => Process.Start(start) ?? throw new InvalidOperationException("worker did not start"));
            return (process, new MasterChannel(parentEnd));
        }
        catch
        {
            Posix.close(parentEnd);
            throw;
        }
        finally
        {
            Posix.close(childEnd);
        }
    }
}
