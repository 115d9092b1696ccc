using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Deploy;

/// <summary>The shipped service's arguments keep one address from taking the whole server.</summary>
public sealed class ShippedLimitsTests
{
    [Fact]
    public async Task Idle_connections_from_one_address_do_not_lock_out_another()
    {
        // The unit's own arguments, with a small client cap standing in for a crowded server.
        string[] unit = SystemdUnitTests.ExecStartArguments("reverb.service")[1..];
        const int Cap = 80;
        await using var server = await ReverbServer.StartAsync([.. unit, "--max-clients", Cap.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var hogs = new List<EchoClient>();
        try
        {
            // As many idle connections from 127.0.0.1 as the server has places: the unit's per-source limit refuses the surplus.
            for (int i = 0; i < Cap; i++)
            {
                hogs.Add(await EchoClient.ConnectFromAsync(server, System.Net.IPAddress.Loopback));
            }

            await server.WaitForLineAsync("refused 127.0.0.1:", TimeSpan.FromSeconds(30));

            // Another address is still echoed, promptly.
            var started = System.Diagnostics.Stopwatch.StartNew();
            using var other = await EchoClient.ConnectFromAsync(server, System.Net.IPAddress.Parse("127.0.0.2"));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await other.Socket.SendAsync("other"u8.ToArray(), System.Net.Sockets.SocketFlags.None, cts.Token);
            Assert.Equal("other"u8.ToArray(), await other.ReadExactlyAsync(5, cts.Token));
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(2), $"echoed after {started.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            foreach (EchoClient hog in hogs)
            {
                hog.Dispose();
            }
        }
    }
}
