using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Reverb.Tests.Infrastructure;

/// <summary>
/// A real HAProxy (<c>haproxy -db</c>, in the foreground) run on a configuration written into a temporary
/// folder; captures its output (its logs, with <c>log stdout</c>) and reads its stats socket. Disposing kills it
/// and removes the folder.
/// </summary>
public sealed class HaproxyProcess : IAsyncDisposable
{
    public const string Executable = "/usr/sbin/haproxy";

    /// <summary>The stats socket's file name in <see cref="Folder"/>, for configurations that declare one.</summary>
    public const string StatsSocketName = "admin.sock";

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private HaproxyProcess(Process process, string folder)
    {
        _process = process;
        Folder = folder;
    }

    public string Folder { get; }

    /// <summary>Every line HAProxy has written so far, standard output and error.</summary>
    public IReadOnlyCollection<string> Output => _output;

    public static string? Unavailable => File.Exists(Executable) ? null : $"{Executable} is needed: apt-get install haproxy (.ci/run installs it)";

    /// <summary>
    /// Writes the configuration that <paramref name="config"/> makes for the temporary folder it is given, starts
    /// HAProxy on it, and waits until 127.0.0.1:<paramref name="port"/> (a frontend of it) accepts.
    /// </summary>
    public static async Task<HaproxyProcess> StartAsync(int port, Func<string, string> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        string folder = Directory.CreateTempSubdirectory("reverb-haproxy").FullName;
        string file = Path.Combine(folder, "haproxy.cfg");
        await File.WriteAllTextAsync(file, config(folder));
        var start = new ProcessStartInfo(Executable) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in (string[])["-db", "-f", file])
        {
            start.ArgumentList.Add(argument);
        }

        var haproxy = new HaproxyProcess(Process.Start(start)!, folder);
        haproxy._process.ErrorDataReceived += (_, e) => haproxy._output.Enqueue(e.Data ?? string.Empty);
        haproxy._process.OutputDataReceived += (_, e) => haproxy._output.Enqueue(e.Data ?? string.Empty);
        haproxy._process.BeginErrorReadLine();
        haproxy._process.BeginOutputReadLine();
        try
        {
            bool up = await Eventually.TrueAsync(() => CanConnect(port) || haproxy._process.HasExited, ReverbServer.StartTimeout);
            Assert.True(up && !haproxy._process.HasExited, "haproxy did not start:\n" + string.Join('\n', haproxy._output));
            return haproxy;
        }
        catch
        {
            await haproxy.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// One row per proxy and server of <c>show stat</c> on the stats socket, as column name → value
    /// (pxname, svname, scur, stot, status, ...).
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, string>>> ShowStatAsync()
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(Folder, StatsSocketName)), cts.Token);
        await socket.SendAsync("show stat\n"u8.ToArray(), SocketFlags.None, cts.Token);
        var text = new StringBuilder();
        byte[] buffer = new byte[65536];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
        {
            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        string[] lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] columns = lines[0].TrimStart('#', ' ').Split(',');
        return [.. lines.Skip(1).Select(line => (IReadOnlyDictionary<string, string>)columns.Zip(line.Split(',')).ToDictionary(pair => pair.First, pair => pair.Second))];
    }

    /// <summary>Column <paramref name="column"/> of the row for <paramref name="proxy"/>/<paramref name="server"/> (FRONTEND and BACKEND are rows too).</summary>
    public async Task<string> StatAsync(string proxy, string server, string column) =>
        (await ShowStatAsync()).Single(row => row["pxname"] == proxy && row["svname"] == server)[column];

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(Folder, recursive: true);
    }

    private static bool CanConnect(int port)
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
