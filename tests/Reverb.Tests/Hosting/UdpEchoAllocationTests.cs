using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Reverb.Hosting;
using Reverb.Udp;

namespace Reverb.Tests.Hosting;

/// <summary>
/// The UDP echo hot path allocates nothing per datagram. Its loop runs on the thread pool, so only
/// the process-wide counter can see it: this test runs alone (no parallel tests) to keep that
/// counter quiet, and allows a little runtime background noise.
/// </summary>
[Collection(nameof(UdpEchoAllocationTests))]
[CollectionDefinition(nameof(UdpEchoAllocationTests), DisableParallelization = true)]
public sealed class UdpEchoAllocationTests
{
    [Fact]
    public async Task Echoing_twenty_thousand_datagrams_allocates_nothing_per_datagram()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var udp = UdpEchoServer.Start([listener], ratePerSecond: 1_000_000, NullLogger.Instance, CancellationToken.None);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 20_000 };
        client.Connect(listener.LocalEndPoint!);
        byte[] datagram = new byte[64];
        byte[] echo = new byte[64];

        // Warm up: JIT, the buffer pool, the source's bucket.
        RoundTrips(client, datagram, echo, 2_000);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        const int Datagrams = 20_000;
        RoundTrips(client, datagram, echo, Datagrams);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        // Measured: about 2 bytes per datagram of runtime noise; a token registration alone would be ~30.
        Assert.InRange(allocated / (double)Datagrams, 0, 16);
    }

    /// <summary>Counts mismatches instead of asserting each one: xunit's asserts allocate, which would be counted.</summary>
    private static void RoundTrips(Socket client, byte[] datagram, byte[] echo, int count)
    {
        int wrong = 0;
        for (int i = 0; i < count; i++)
        {
            datagram[0] = (byte)i;
            client.Send(datagram);
            if (client.Receive(echo) != datagram.Length || echo[0] != datagram[0])
            {
                wrong++;
            }
        }

        Assert.Equal(0, wrong);
    }
}
