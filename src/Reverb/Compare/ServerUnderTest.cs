using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Reverb.Interop;

namespace Reverb.Compare;

/// <summary>
/// One running server: `reverb serve` in a model, or a peer command under /bin/sh, on a free loopback port.
/// Started ready (it accepts connections) and stopped with SIGTERM, then SIGKILL for anything left of its tree.
/// </summary>
internal sealed class ServerUnderTest : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    private readonly Process _process;
    private readonly OutputTail _output;

    private ServerUnderTest(Process process, int port)
    {
        _process = process;
        _output = new OutputTail(process);
        Port = port;
    }

    public int Port { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Why the server is gone, when it is.</summary>
    public string ExitDescription => HasExited
        ? $"the server exited with code {_process.ExitCode}{(_output.Text() is { } tail ? $": {tail}" : string.Empty)}"
        : "the server is running";

    public static async Task<ServerUnderTest> StartAsync(ServerDefinition server, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        int port = FreeLoopbackPort();
        ProcessStartInfo start = server.IsPeer ? PeerStartInfo(server.PeerCommandFor(port)) : ServeStartInfo(server, port);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {server.Description}");
        process.StandardInput.Close();
        var running = new ServerUnderTest(process, port);
        try
        {
            await running.WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
            return running;
        }
        catch
        {
            await running.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// SIGTERM to the server (reverb drains and stops its own workers), a bounded wait, then SIGKILL to whatever
    /// is left of its tree; returns once all of it is gone, so the next server is measured alone.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        int[] tree = [.. ProcessTreeSampler.Sample(Pid, withPss: false).Processes.Keys];
        Posix.kill(Pid, Posix.SIGTERM);
        if (!await AllGoneAsync(tree, StopTimeout).ConfigureAwait(false))
        {
            foreach (int pid in tree)
            {
                Posix.kill(pid, Posix.SIGKILL);
            }

            await AllGoneAsync(tree, StopTimeout).ConfigureAwait(false);
        }

        _process.Dispose();
    }

    private static ProcessStartInfo ServeStartInfo(ServerDefinition server, int port)
    {
        List<string> arguments =
        [
            "serve", port.ToString(CultureInfo.InvariantCulture), "--host", "127.0.0.1", "--model", server.Model!, "--quiet",
            "--drain-timeout", $"{DrainTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s",
        ];
        arguments.AddRange(["--max-clients", "20000"]);

        return ReverbExecutable.StartInfo(arguments);
    }

    /// <summary>
    /// Peers get the hard open-file limit first (C servers rarely raise it themselves), so 10,000 idle clients are
    /// not refused for want of descriptors.
    /// </summary>
    private static ProcessStartInfo PeerStartInfo(string command)
    {
        var start = new ProcessStartInfo("/bin/sh");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"ulimit -n \"$(ulimit -Hn)\" 2>/dev/null; exec {command}");
        return ReverbExecutable.Quiet(start);
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < ReadyTimeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (HasExited)
            {
                throw new InvalidOperationException(ExitDescription);
            }

            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), attempt.Token).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }

        throw new TimeoutException($"it did not accept connections on 127.0.0.1:{Port} within {ReadyTimeout.TotalSeconds:0} s");
    }

    private static async Task<bool> AllGoneAsync(int[] pids, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (pids.Any(IsLive))
        {
            if (waited.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Alive and not a zombie waiting for its parent (our own child is reaped by Process).</summary>
    private static bool IsLive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
