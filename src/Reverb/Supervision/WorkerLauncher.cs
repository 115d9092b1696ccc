using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Reverb.Interop;

namespace Reverb.Supervision;

/// <summary>
/// Starts worker processes: the same reverb executable in its worker role, each with its own
/// private socket pair to the master.
/// </summary>
/// <remarks>
/// The pair is created close-on-exec; only the child's end has that flag cleared, and only for the
/// duration of one spawn, under a lock, so no other child (and no other process) ever inherits a
/// channel that is not its own.
/// </remarks>
internal sealed class WorkerLauncher
{
    private readonly Lock _spawnLock = new();
    private readonly string _executable;
    private readonly string[] _prefixArguments;
    private readonly int _masterPid = Environment.ProcessId;

    public WorkerLauncher()
    {
        string processPath = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the reverb executable");
        _executable = processPath;

        // Under 'dotnet reverb.dll' the process is the dotnet host: hand it the assembly again.
        _prefixArguments = Path.GetFileNameWithoutExtension(processPath) == "dotnet"
            ? [Path.Combine(AppContext.BaseDirectory, "reverb.dll")]
            : [];
    }

    /// <summary>Starts a worker; null (and an error logged) when the system refuses a new process.</summary>
    public WorkerHandle? TryLaunch(WorkerSettings settings, ILogger logger, int slot = 0)
    {
        try
        {
            (Process process, MasterChannel channel) = Launch(settings);
            return new WorkerHandle(process, channel, slot);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            logger.LogError("cannot start a worker process: {Reason}", ex.Message);
            return null;
        }
    }

    private (Process Process, MasterChannel Channel) Launch(WorkerSettings settings)
    {
        lock (_spawnLock)
        {
            (int parentEnd, int childEnd) = UnixChannelSocket.CreatePair();
            try
            {
                UnixChannelSocket.SetCloseOnExec(childEnd, enabled: false);
                var start = new ProcessStartInfo(_executable) { UseShellExecute = false };

                // No diagnostics IPC socket per worker (JIT builds open one in /tmp): a worker holds only its channel and its client.
                start.Environment["DOTNET_EnableDiagnostics_IPC"] = "0";
                foreach (string argument in _prefixArguments.Concat(settings.ToArguments(childEnd, _masterPid)))
                {
                    start.ArgumentList.Add(argument);
                }

                Process process = Process.Start(start) ?? throw new InvalidOperationException("worker did not start");
                return (process, new MasterChannel(parentEnd));
            }
            catch
            {
                Libc.close(parentEnd);
                throw;
            }
            finally
            {
                Libc.close(childEnd);
            }
        }
    }
}
