using System.Diagnostics;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Deploy;

/// <summary>
/// reverb.service sets MemoryDenyWriteExecute=yes: the NativeAOT binary it runs must serve with no
/// memory that is writable and executable. The kernel's own switch for it (PR_SET_MDWE, Linux 6.3;
/// systemd uses it where present, else a seccomp filter) is set by a small launcher that then execs
/// reverb, so reverb and every process it forks or execs inherit it.
/// </summary>
public sealed class MemoryDenyWriteExecuteTests
{
    // prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN), then exec the rest of the arguments.
    private const string Launcher = """
        import ctypes, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(65, 1, 0, 0, 0) != 0:
            sys.exit("PR_SET_MDWE: " + os.strerror(ctypes.get_errno()))
        os.execvp(sys.argv[1], sys.argv[1:])
        """;

    [SkippableFact]
    public async Task The_NativeAOT_binary_serves_every_model_path_the_unit_uses_under_MDWE()
    {
        Skip.If(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("REVERB_EXE")), "needs the NativeAOT binary (REVERB_EXE): the JIT writes executable memory, so the unit runs only the NativeAOT binary");
        Skip.IfNot(await KernelHasMdweAsync(), "the kernel has no PR_SET_MDWE (Linux 6.3 or later), or python3 is missing");

        // The unit's own arguments (the process model: fork, and exec of its forking process), with UDP.
        await using var server = await ReverbServer.StartWrappedAsync(["python3", "-c", Launcher], [.. SystemdUnitTests.ExecStartArguments("reverb.service")[1..], "--udp"]);
        using var client = await EchoClient.ConnectAsync(server);
        byte[] payload = Payloads.Random(100_000);
        Assert.Equal(payload, await client.RoundTripAsync(payload));
        client.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        await client.ReadToEndAsync(EchoClient.Timeout);

        server.Signal(Signals.SIGTERM);
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [SkippableFact]
    public async Task The_launcher_has_teeth_the_JIT_cannot_run_under_it()
    {
        Skip.IfNot(await KernelHasMdweAsync(), "the kernel has no PR_SET_MDWE (Linux 6.3 or later), or python3 is missing");

        // The JIT needs memory it writes and then executes: it is refused, so reverb.dll cannot even print its version.
        var start = new ProcessStartInfo("python3") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in (string[])["-c", Launcher, "dotnet", Path.Combine(AppContext.BaseDirectory, "reverb.dll"), "--version"])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        Assert.NotEqual(0, process.ExitCode);
        Assert.DoesNotContain("0.", await output, StringComparison.Ordinal);
        await errors;
    }

    private static async Task<bool> KernelHasMdweAsync()
    {
        try
        {
            var probe = new ProcessStartInfo("python3") { UseShellExecute = false, RedirectStandardError = true };
            foreach (string argument in (string[])["-c", Launcher, "true"])
            {
                probe.ArgumentList.Add(argument);
            }

            using var process = Process.Start(probe)!;
            await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
