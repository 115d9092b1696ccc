using System.Diagnostics;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Bench;

/// <summary>
/// Runs the real <c>reverb</c> executable with binary stdin and stdout, bounded in time
/// (<see cref="ReverbCommand.RunAsync"/> is the text-only version).
/// </summary>
public static class ReverbProcess
{
    public sealed record Outcome(int ExitCode, byte[] Stdout, string Stderr)
    {
        public string StdoutText => System.Text.Encoding.UTF8.GetString(Stdout);
    }

    public static async Task<Outcome> RunAsync(byte[]? stdin, TimeSpan limit, params string[] args)
    {
        using var process = Process.Start(ReverbCommand.StartInfo(args))!;
        using var timeout = new CancellationTokenSource(limit);
        var stdout = new MemoryStream();
        Task readOut = process.StandardOutput.BaseStream.CopyToAsync(stdout, timeout.Token);
        Task<string> readErr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin, timeout.Token);
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(timeout.Token);
            await readOut;
            return new Outcome(process.ExitCode, stdout.ToArray(), await readErr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"reverb {string.Join(' ', args)} did not finish within {limit}");
        }
    }

    /// <summary>A loopback port with nothing listening on it (it was free a moment ago).</summary>
    public static int UnusedPort()
    {
        var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        int port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
