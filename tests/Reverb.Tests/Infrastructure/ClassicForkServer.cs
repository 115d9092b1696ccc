using System.Diagnostics;
using System.Net.Sockets;
using Reverb.Tests.Bench;

namespace Reverb.Tests.Infrastructure;

/// <summary>
/// The classic fork-per-client C echo server from ../shared/anchors (it echoes with strlen, so it drops everything
/// from a NUL byte on), compiled with gcc into a temporary folder. The test is skipped where gcc or the source is missing.
/// </summary>
public sealed class ClassicForkServer : IDisposable
{
    private const string Gcc = "/usr/bin/gcc";

    private readonly DirectoryInfo _folder;
    private Process? _running;

    private ClassicForkServer(DirectoryInfo folder, string executable)
    {
        _folder = folder;
        Executable = executable;
    }

    /// <summary>The compiled server; usage: <c>classic_fork_server PORT</c>.</summary>
    public string Executable { get; }

    /// <summary>Compiles the server, or skips the calling test with the reason when it cannot be built here.</summary>
    public static async Task<ClassicForkServer> BuildAsync()
    {
        Skip.IfNot(File.Exists(Gcc), $"{Gcc} is needed to build the C reference server: apt-get install gcc");
        string? source = RepositoryPaths.Anchors is { } anchors ? Path.Combine(anchors, "classic_fork_server.c") : null;
        Skip.If(source is null || !File.Exists(source), $"classic_fork_server.c not found (set REVERB_ANCHORS to ../shared/anchors)");

        DirectoryInfo folder = Directory.CreateTempSubdirectory("reverb-classic-");
        string executable = Path.Combine(folder.FullName, "classic_fork_server");
        var start = new ProcessStartInfo(Gcc) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in new[] { "-O2", "-o", executable, source! })
        {
            start.ArgumentList.Add(argument);
        }

        using var gcc = Process.Start(start)!;
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string errors = await gcc.StandardError.ReadToEndAsync(limit.Token);
        await gcc.WaitForExitAsync(limit.Token);
        if (gcc.ExitCode != 0)
        {
            folder.Delete(recursive: true);
            throw new InvalidOperationException($"gcc failed on {source}: {errors}");
        }

        return new ClassicForkServer(folder, executable);
    }

    /// <summary>Starts the server on a free loopback port (it listens on every address) and returns once it accepts.</summary>
    public async Task<int> StartAsync()
    {
        int port = ReverbProcess.UnusedPort();
        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _running = Process.Start(start)!;
        _ = _running.StandardOutput.BaseStream.CopyToAsync(Stream.Null); // its "Accept Success!!" lines
        await Eventually.AssertAsync(() => Accepts(port), TimeSpan.FromSeconds(10), $"classic_fork_server listening on {port}");
        return port;
    }

    public void Dispose()
    {
        if (_running is not null)
        {
            // The forked children outlive their parent until their client leaves: end them too.
            _running.Kill(entireProcessTree: true);
            _running.WaitForExit(5000);
            _running.Dispose();
        }

        _folder.Delete(recursive: true);
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var probe = new TcpClient();
            probe.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
