using System.Globalization;
using System.Net;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Proxy;

/// <summary>HAProxy (send-proxy-v2) in front of two reverb instances, as behind a real load balancer.</summary>
public sealed class HaproxyIntegrationTests
{
    [SkippableFact]
    public async Task Behind_haproxy_both_instances_echo_and_log_the_real_client_addresses()
    {
        Skip.If(HaproxyProcess.Unavailable is not null, HaproxyProcess.Unavailable);
        await using var first = await ReverbServer.StartAsync("--model", "async", "--proxy-protocol");
        await using var second = await ReverbServer.StartAsync("--model", "process", "--proxy-protocol");

        int port = OneShotExchange.FreeTcpPort();
        await using var haproxy = await HaproxyProcess.StartAsync(port, _ => string.Create(CultureInfo.InvariantCulture, $"""
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
}
