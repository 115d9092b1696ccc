using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Proxy;

/// <summary>HAProxy (send-proxy-v2) in front of two reverb instances, as behind a real load balancer.</summary>
public sealed class HaproxyIntegrationTests
{
    private const string Haproxy = "/usr/sbin/haproxy";

    [SkippableFact]
    public async Task Behind_haproxy_both_instances_echo_and_log_the_real_client_addresses()
    {
        Skip.IfNot(File.Exists(Haproxy), $"{Haproxy} is needed: apt-get install haproxy (.ci/run installs it)");
        await using var first = await ReverbServer.StartAsync("--model", "async", "--proxy-protocol");
        await using var second = await ReverbServer.StartAsync("--model", "process", "--proxy-protocol");

        int port = OneShotExchange.FreeTcpPort();
        string folder = Directory.CreateTempSubdirectory("reverb-haproxy").FullName;
        string config = Path.Combine(folder, "haproxy.cfg");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $"""
            global
                maxconn 100
            defaults
                mode tcp
                timeout connect 5s
                timeout client 30s
                timeout server 30s
            frontend echo
                bind 127.0.0.1:{port}
                default_backend reverbs
            backend reverbs
                balance roundrobin
                server first 127.0.0.1:{first.Port} send-proxy-v2
                server second 127.0.0.1:{second.Port} send-proxy-v2

            """));

        var start = new ProcessStartInfo(Haproxy) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in (string[])["-db", "-f", config])
        {
            start.ArgumentList.Add(argument);
        }

        using var haproxy = Process.Start(start)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        haproxy.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? string.Empty);
        haproxy.OutputDataReceived += (_, e) => output.Enqueue(e.Data ?? string.Empty);
        haproxy.BeginErrorReadLine();
        haproxy.BeginOutputReadLine();
        try
        {
            Assert.True(await Eventually.TrueAsync(() => CanConnect(port) || haproxy.HasExited, TimeSpan.FromSeconds(30)) && !haproxy.HasExited, "haproxy did not start:\n" + string.Join('\n', output));
            int[] clientPorts = new int[4];
            for (int i = 0; i < clientPorts.Length; i++)
            {
                byte[] data = Payloads.Random(20_000, seed: i);
                OneShotExchange.Outcome outcome = await OneShotExchange.RunAsync(new IPEndPoint(IPAddress.Loopback, port), data, EchoClient.Timeout);
                clientPorts[i] = outcome.LocalPort;
                Assert.Equal(data, outcome.Echoed);
            }

            // Round robin: consecutive clients alternate between the instances (whether the readiness
            // probe took a turn depends on timing, so four clients, not two), and each instance logs
            // the client's own address, not haproxy's.
            var servedBy = new List<ReverbServer>();
            foreach (int clientPort in clientPorts)
            {
                string expected = $"client 127.0.0.1:{clientPort} via 127.0.0.1:";
                Assert.True(await Eventually.TrueAsync(() => first.Log.Contains(expected, StringComparison.Ordinal) || second.Log.Contains(expected, StringComparison.Ordinal), EchoClient.Timeout), $"no instance logged {expected}");
                servedBy.Add(first.Log.Contains(expected, StringComparison.Ordinal) ? first : second);
            }

            Assert.Contains(first, servedBy);
            Assert.Contains(second, servedBy);
        }
        finally
        {
            haproxy.Kill(entireProcessTree: true);
            await haproxy.WaitForExitAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static bool CanConnect(int port)
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
