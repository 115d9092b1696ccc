using System.Diagnostics;
using System.Net.Sockets;
using Reverb.Forking;
using Reverb.Hosting;
using Reverb.Interop;

namespace Reverb.Supervision;

/// <summary>
/// Starts the process model's forking process: this same reverb program in its hidden forker role,
/// inheriting the listening sockets, the child table and one end of a private channel.
/// </summary>
/// <remarks>
/// It is started from a short-lived thread that blocks SIGCHLD, SIGTERM, SIGINT and SIGHUP first:
/// the runtime's process start gives the new process the starting thread's signal mask, so every
/// thread of the forking process is born with them blocked and they can only be read from its
/// signalfd (a thread that did not block them could take SIGTERM and end the process outright).
/// </remarks>
internal sealed class ForkerLauncher
{
    private readonly ReverbSelf _self = ReverbSelf.Current();

    /// <summary>The process and the master's end of its channel.</summary>
    public (Process Process, int Channel) Launch(ForkerSettings settings, IReadOnlyList<Socket> listeners, ChildTable table)
    {
        (int parentEnd, int childEnd) = UnixChannelSocket.CreatePair();
        int[] inherited = [childEnd, table.Fd, .. listeners.Select(l => (int)l.SafeHandle.DangerousGetHandle())];
        try
        {
            ProcessStartInfo start = _self.StartInfo((settings with
            {
                ChannelFd = childEnd,
                TableFd = table.Fd,
                TableCapacity = table.Capacity,
                ListenFds = inherited[2..],
            }).ToArguments());

            // Under the JIT: no background compilation, no diagnostics threads; everything is compiled before the first fork.
            start.Environment["DOTNET_TieredCompilation"] = "0";
            start.Environment["DOTNET_TieredPGO"] = "0";
            start.Environment["DOTNET_EnableDiagnostics"] = "0";

            // W^X maps JIT-compiled code through shared memory, which fork() would share between
            // parent and child: a stub patched in one would change the other. Private code pages are copied.
            start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
            Process process = InheritingStart.Start(inherited, () => StartWithSignalsBlocked(start));
            return (process, parentEnd);
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

    private static unsafe Process StartWithSignalsBlocked(ProcessStartInfo start)
    {
        Process? process = null;
        Exception? failure = null;
        var starter = new Thread(() =>
        {
            Posix.SignalSet blocked = Posix.SignalSet.Of(Posix.SIGCHLD, Posix.SIGTERM, Posix.SIGINT, Posix.SIGHUP);
            Posix.pthread_sigmask(Posix.SIG_BLOCK, &blocked, null);
            try
            {
                process = Process.Start(start);
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                failure = ex;
            }
        })
        {
            IsBackground = true,
            Name = "reverb forker start",
        };
        starter.Start();
        starter.Join();
        return process ?? throw new InvalidOperationException($"cannot start the forking process: {failure?.Message ?? "no process"}", failure);
    }
}
