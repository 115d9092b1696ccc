using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Reverb.Tests.Infrastructure;

/// <summary>
/// A real <c>reverb serve</c> process on a free loopback port (port 0: the server picks one and
/// logs it). Captures every log line of the master and its workers; disposing kills the whole tree.
/// </summary>
public sealed partial class ReverbServer : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ReverbServer(Process process)
    {
        _process = process;
        Pid = process.Id;
    }

#pragma warning disable CA1822 // An instance property reads naturally next to Port.
    public string Host => "127.0.0.1";
#pragma warning restore CA1822

    public int Port { get; private set; }

    public int Pid { get; }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    public string Log => string.Join('\n', Lines);

    /// <summary>Starts <c>reverb serve 0 --host 127.0.0.1 ARGS</c> (without that --host when ARGS has one) and waits until it logs "listening on".</summary>
    public static Task<ReverbServer> StartAsync(params string[] arguments) => StartAsync(new Dictionary<string, string>(), arguments);

    /// <summary>As <see cref="StartAsync(string[])"/>, with extra environment variables.</summary>
    public static Task<ReverbServer> StartAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        StartCommandAsync(environment, WithDefaults(arguments));

    /// <summary>
    /// As <see cref="StartAsync(string[])"/>, run by <paramref name="wrapper"/>, a command that execs
    /// the rest of its arguments in its own process (e.g. <c>prlimit --nofile=1024:1024</c>), so the pid is reverb's.
    /// </summary>
    public static Task<ReverbServer> StartWrappedAsync(string[] wrapper, params string[] arguments)
    {
        ProcessStartInfo start = ReverbCommand.StartInfo(WithDefaults(arguments));
        string[] command = [.. wrapper[1..], start.FileName, .. start.ArgumentList];
        start.FileName = wrapper[0];
        start.ArgumentList.Clear();
        foreach (string argument in command)
        {
            start.ArgumentList.Add(argument);
        }

        return StartAsync(start);
    }

    /// <summary>
    /// As <see cref="StartAsync(string[])"/> for a server that logs no "listening on" line (--quiet): on a
    /// port found free just before, ready once it accepts a connection.
    /// </summary>
    public static async Task<ReverbServer> StartQuietAsync(params string[] arguments)
    {
        int port;
        using (var probe = new TakenPort())
        {
            port = probe.Port;
        }

        var server = new ReverbServer(Process.Start(ReverbCommand.StartInfo(["serve", port.ToString(CultureInfo.InvariantCulture), "--host", "127.0.0.1", .. arguments]))!) { Port = port };
        server.ReadOutput();
        try
        {
            using var deadline = new CancellationTokenSource(StartTimeout);
            while (true)
            {
                using var attempt = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                try
                {
                    await attempt.ConnectAsync(System.Net.IPAddress.Loopback, port, deadline.Token);
                    return server;
                }
                catch (System.Net.Sockets.SocketException) when (!server._process.HasExited)
                {
                    await Task.Delay(100, deadline.Token);
                }
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts <c>reverb serve PORT --host 127.0.0.1 ARGS</c> on a port found free just before and returns
    /// at once, without waiting for any readiness: for tests that wait on a signal of their own (systemd's READY=1).
    /// </summary>
    public static ReverbServer Launch(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        int port;
        using (var probe = new TakenPort())
        {
            port = probe.Port;
        }

        ProcessStartInfo start = ReverbCommand.StartInfo(["serve", port.ToString(CultureInfo.InvariantCulture), "--host", "127.0.0.1", .. arguments]);
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        var server = new ReverbServer(Process.Start(start)!) { Port = port };
        server.ReadOutput();
        return server;
    }

    private static string[] WithDefaults(string[] arguments) =>
        ["serve", "0", .. arguments.Contains("--host") ? [] : (string[])["--host", "127.0.0.1"], .. arguments];

    private static Task<ReverbServer> StartCommandAsync(IReadOnlyDictionary<string, string> environment, string[] command)
    {
        ProcessStartInfo start = ReverbCommand.StartInfo(command);
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        return StartAsync(start);
    }

    /// <summary>
    /// Starts <c>reverb serve ARGS</c> under <paramref name="launcher"/> (e.g. systemd-socket-activate,
    /// which listens first and execs reverb at the first connection); ready once the launcher logs "Listening on".
    /// </summary>
    public static Task<ReverbServer> StartUnderAsync(string[] launcher, params string[] arguments)
    {
        ProcessStartInfo reverb = ReverbCommand.StartInfo(["serve", .. arguments]);
        ProcessStartInfo start = ReverbCommand.StartInfo([]);
        start.FileName = launcher[0];
        start.ArgumentList.Clear();
        foreach (string argument in (string[])[.. launcher[1..], reverb.FileName, .. reverb.ArgumentList])
        {
            start.ArgumentList.Add(argument);
        }

        return StartAsync(start, readyLine: "Listening on ");
    }

    /// <summary>Starts a reverb command line built by the caller (e.g. a copy of the executable); ready at "listening on".</summary>
    public static Task<ReverbServer> StartFromAsync(ProcessStartInfo start) => StartAsync(start);

    private static async Task<ReverbServer> StartAsync(ProcessStartInfo start, string readyLine = "listening on ")
    {

        var server = new ReverbServer(Process.Start(start)!);
        server.ReadOutput();
        try
        {
            string line = await server.WaitForLineAsync(readyLine, StartTimeout);
            // A launcher listening on a Unix-domain socket names no port.
            Match port = ListeningPort().Match(line);
            server.Port = port.Success ? int.Parse(port.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>How many lines have been logged so far: pass it as <c>after</c> to wait only for lines logged from now on.</summary>
    public int LineCount
    {
        get
        {
            lock (_gate)
            {
                return _lines.Count;
            }
        }
    }

    /// <param name="skip">Matching lines to pass over first.</param>
    /// <param name="after">Look only at lines logged after the first <paramref name="after"/> (see <see cref="LineCount"/>).</param>
    public async Task<string> WaitForLineAsync(string substring, TimeSpan timeout, int skip = 0, int after = 0)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                int seen = 0;
                foreach (string line in _lines.Skip(after))
                {
                    if (line.Contains(substring, StringComparison.Ordinal) && seen++ >= skip)
                    {
                        return line;
                    }
                }

                changed = _changed.Task;
            }

            if (_process.HasExited && changed.IsCompleted is false)
            {
                // Give the output readers a last chance to deliver what the process wrote.
                await Task.WhenAny(changed, Task.Delay(500));
                if (!changed.IsCompleted)
                {
                    throw new InvalidOperationException($"reverb exited ({_process.ExitCode}) before logging '{substring}'. Log:\n{Log}");
                }
            }

            try
            {
                await changed.WaitAsync(TimeSpan.FromMilliseconds(500), cts.Token);
            }
            catch (TimeoutException)
            {
                // Re-check whether the process exited.
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no log line with '{substring}' within {timeout.TotalSeconds:0} s. Log:\n{Log}");
            }
        }
    }

    /// <summary>The worker that the master logged as serving the client at <paramref name="clientPort"/>.</summary>
    public async Task<int> WorkerServingAsync(int clientPort, TimeSpan timeout)
    {
        string line = await WaitForLineAsync($"accepted 127.0.0.1:{clientPort} (worker ", timeout);
        return WorkerPidIn(line);
    }

    /// <summary>N in a log line's "(worker N)".</summary>
    public static int WorkerPidIn(string line) => int.Parse(WorkerPid().Match(line).Groups[1].Value, CultureInfo.InvariantCulture);

    public IReadOnlyList<ProcessTable.Entry> Children() => ProcessTable.ChildrenOf(Pid);

    /// <summary>Every process under the master: workers, or the forking process and its children.</summary>
    public IReadOnlyList<ProcessTable.Entry> Descendants() => ProcessTable.DescendantsOf(Pid);

    public void Signal(int signal) => Signals.Send(Pid, signal);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"reverb did not exit within {timeout.TotalSeconds:0} s. Log:\n{Log}");
        }

        return _process.ExitCode;
    }

    /// <summary>
    /// As <see cref="WaitForExitAsync"/>, for a master whose output another process still holds (the
    /// new master of an upgrade inherits it): waits for its exit alone, not for the end of the output.
    /// </summary>
    public async Task<int> WaitForOwnExitAsync(TimeSpan timeout)
    {
        if (!await Eventually.TrueAsync(() => _process.HasExited, timeout))
        {
            throw new TimeoutException($"reverb did not exit within {timeout.TotalSeconds:0} s. Log:\n{Log}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        // Kill the master's children first (SIGKILL on the master alone would leave busy workers to finish their clients).
        foreach (ProcessTable.Entry child in Descendants())
        {
            Signals.Send(child.Pid, Signals.SIGKILL);
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void ReadOutput()
    {
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        TaskCompletionSource changed;
        lock (_gate)
        {
            _lines.Add(line);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    [GeneratedRegex(@"listening on \S*:(\d+) ", RegexOptions.IgnoreCase)]
    private static partial Regex ListeningPort();

    [GeneratedRegex(@"\(worker (\d+)\)")]
    private static partial Regex WorkerPid();
}
