using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Reverb.Interop;
using Reverb.Tests.Infrastructure;
using Reverb.Tests.Monitoring;

namespace Reverb.Tests.Serve;

/// <summary>
/// Socket activation with UDP (ListenDatagram=): the passed datagram socket is echoed by the master in
/// every model. One systemd-socket-activate passes one kind of socket, and passes on the sockets it was
/// given itself (sd_listen_fds), so two of them in a row pass a TCP socket (3) and a UDP socket (4) as
/// systemd does for a unit with ListenStream= and ListenDatagram=.
/// </summary>
public sealed class DatagramActivationTests
{
    private const string Activator = SocketActivationTests.Activator;

    [SkippableTheory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task Passed_UDP_and_TCP_sockets_are_both_served_in_every_model(string model)
    {
        Skip.IfNot(File.Exists(Activator), $"{Activator} is needed: apt-get install systemd (.ci/run installs it)");
        int port = FreeUdpAndTcpPort();
        string address = $"127.0.0.1:{port}";

        // No --udp: the datagram socket passed is served because the socket unit asked for it.
        await using var server = await ReverbServer.StartUnderAsync(
            [Activator, "-l", address, Activator, "--datagram", "-l", address], ServerModels.Arguments(model, "--metrics", "127.0.0.1:0"));

        // The first TCP client starts reverb, as systemd would; it waits in the queue meanwhile.
        using var tcp = await EchoClient.ConnectAsync(server);
        byte[] data = Payloads.Random(20_000);
        Assert.Equal(data, await tcp.RoundTripAsync(data));
        await server.WaitForLineAsync("serving 1 TCP listening socket(s) and 1 UDP socket(s) passed by the service manager (LISTEN_FDS)", EchoClient.Timeout);
        await server.WaitForLineAsync($"udp echo on {address} (in the master process", EchoClient.Timeout);
        await server.WaitForLineAsync($"listening on {address} ", EchoClient.Timeout);

        using Socket udp = UdpEchoTests.NewClient();
        var target = new IPEndPoint(IPAddress.Loopback, port);
        byte[][] datagrams = [[0], [0, 1, 2, 0, 255, (byte)'\n', 0], Payloads.Random(1_000), Payloads.Random(65_507, seed: 5)];
        foreach (byte[] datagram in datagrams)
        {
            Assert.Equal(datagram, await UdpEchoTests.RoundTripAsync(udp, target, datagram));
        }

        // Counted as with --udp.
        int metricsPort = await MetricsTests.MetricsPortAsync(server);
        Dictionary<string, double> metrics = await MetricsTests.ScrapeAsync(metricsPort);
        Assert.Equal(datagrams.Length, metrics["reverb_udp_datagrams_echoed_total"]);
        Assert.Equal(0, metrics["reverb_udp_datagrams_refused_total"]);

        // The UDP socket stays in the master: no worker or forked process holds it.
        string passedUdp = new FileInfo($"/proc/{server.Pid}/fd/4").LinkTarget!;
        Assert.StartsWith("socket:", passedUdp, StringComparison.Ordinal);
        foreach (ProcessTable.Entry child in server.Descendants())
        {
            Assert.DoesNotContain(passedUdp, OpenSockets(child.Pid));
        }
    }

    [SkippableFact]
    public async Task With_udp_the_passed_datagram_socket_is_served_and_nothing_more_is_bound()
    {
        Skip.IfNot(File.Exists(Activator), $"{Activator} is needed: apt-get install systemd (.ci/run installs it)");
        int port = FreeUdpAndTcpPort();
        string address = $"127.0.0.1:{port}";

        // Binding UDP beside the TCP listener would fail here: the passed UDP socket holds that port.
        await using var server = await ReverbServer.StartUnderAsync([Activator, "-l", address, Activator, "--datagram", "-l", address], "--model", "async", "--udp", "--udp-rate", "0");
        using var tcp = await EchoClient.ConnectAsync(server);
        Assert.Equal("t"u8.ToArray(), await tcp.RoundTripAsync("t"u8.ToArray()));
        await server.WaitForLineAsync("and 1 UDP socket(s) passed by the service manager (LISTEN_FDS); PORT and --host are not used; --udp binds nothing more", EchoClient.Timeout);
        await server.WaitForLineAsync($"listening on {address} ", EchoClient.Timeout);
        using Socket udp = UdpEchoTests.NewClient();
        Assert.Equal("u"u8.ToArray(), await UdpEchoTests.RoundTripAsync(udp, new IPEndPoint(IPAddress.Loopback, port), "u"u8.ToArray()));
        Assert.Single(server.Lines, l => l.Contains("udp echo on", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task The_shipped_socket_unit_s_TCP_and_UDP_sockets_are_served_by_the_shipped_service()
    {
        Skip.IfNot(File.Exists(Activator), $"{Activator} is needed: apt-get install systemd (.ci/run installs it)");

        // reverb.socket's Listen lines, each moved from port 7 to a free port, as activator arguments.
        string[] listens = [.. File.ReadLines(Path.Combine(Deploy.SystemdUnitTests.DeployFolder, "reverb.socket")).Where(l => l.StartsWith("Listen", StringComparison.Ordinal))];
        Assert.Equal(["ListenStream=7", "ListenDatagram=7"], listens);
        int port = FreeUdpAndTcpPort();
        string[] activators = [.. listens.SelectMany(l => l.StartsWith("ListenDatagram=", StringComparison.Ordinal)
            ? (string[])[Activator, "--datagram", "-l", $"127.0.0.1:{port}"]
            : [Activator, "-l", $"127.0.0.1:{port}"])];
        await using var server = await ReverbServer.StartUnderAsync(activators, Deploy.SystemdUnitTests.ExecStartArguments("reverb.service")[1..]);

        using var tcp = await EchoClient.ConnectAsync(server);
        Assert.Equal("stream"u8.ToArray(), await tcp.RoundTripAsync("stream"u8.ToArray()));
        await server.WaitForLineAsync($"listening on 127.0.0.1:{port} ", EchoClient.Timeout);
        using Socket udp = UdpEchoTests.NewClient();
        Assert.Equal("datagram"u8.ToArray(), await UdpEchoTests.RoundTripAsync(udp, new IPEndPoint(IPAddress.Loopback, port), "datagram"u8.ToArray()));
    }

    [SkippableTheory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task A_Unix_domain_datagram_socket_is_refused_at_start_in_one_line(string model)
    {
        Skip.IfNot(File.Exists(Activator), $"{Activator} is needed: apt-get install systemd (.ci/run installs it)");
        string directory = Directory.CreateTempSubdirectory("reverb-unix-dgram-").FullName;
        string path = Path.Combine(directory, "r.sock");
        try
        {
            await using var server = await ReverbServer.StartUnderAsync([Activator, "--datagram", "-l", path], ServerModels.Arguments(model));

            // The activator runs reverb at the first datagram.
            using var client = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            await client.SendToAsync("x"u8.ToArray(), SocketFlags.None, new UnixDomainSocketEndPoint(path));
            string line = await SocketActivationTests.AssertRefusedAtStartAsync(server, "reverb: socket activation passed a Unix-domain socket");
            Assert.EndsWith($"({path}, dgram, descriptor 3); reverb serves TCP and UDP only", line, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [SkippableFact]
    public async Task Only_UDP_sockets_passed_is_refused_in_one_line()
    {
        Skip.IfNot(File.Exists(Activator), $"{Activator} is needed: apt-get install systemd (.ci/run installs it)");
        int port = FreeUdpAndTcpPort();
        await using var server = await ReverbServer.StartUnderAsync([Activator, "--datagram", "-l", $"127.0.0.1:{port}"], "--model", "async");
        using Socket udp = UdpEchoTests.NewClient();
        await udp.SendToAsync("x"u8.ToArray(), SocketFlags.None, new IPEndPoint(IPAddress.Loopback, port));
        await SocketActivationTests.AssertRefusedAtStartAsync(server, "reverb: socket activation passed 1 UDP socket(s) but no listening TCP socket; add a ListenStream= beside ListenDatagram=");
    }

    /// <summary>
    /// ReusePort=yes on the socket unit: the workers still share the one passed socket (one queue, kept
    /// by the service manager), and add no SO_REUSEPORT sockets of their own on its port.
    /// </summary>
    [Fact]
    public async Task The_workers_share_a_passed_SO_REUSEPORT_socket_and_add_none_of_their_own()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetRawSocketOption(1 /* SOL_SOCKET */, 15 /* SO_REUSEPORT */, BitConverter.GetBytes(1));
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(64);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        // sd_listen_fds' protocol by hand: the socket as descriptor 3, LISTEN_PID the pid that execs reverb.
        int fd = (int)listener.Handle;
        System.Diagnostics.ProcessStartInfo reverb = ReverbCommand.StartInfo(["serve", "--model", "workers", "--workers", "3"]);
        System.Diagnostics.ProcessStartInfo start = ReverbCommand.StartInfo([]);
        start.FileName = "/bin/bash"; // dash takes only one-digit descriptors in redirections
        start.ArgumentList.Clear();
        foreach (string argument in (string[])["-c", $"exec 3<&{fd} {fd}<&-; LISTEN_FDS=1 LISTEN_PID=$$ exec \"$@\"", "bash", reverb.FileName, .. reverb.ArgumentList])
        {
            start.ArgumentList.Add(argument);
        }

        // Inheritable only while the shell starts (other tests may be starting processes meanwhile).
        UnixChannelSocket.SetCloseOnExec(fd, enabled: false);
        Task<ReverbServer> starting;
        try
        {
            starting = ReverbServer.StartFromAsync(start);
        }
        finally
        {
            UnixChannelSocket.SetCloseOnExec(fd, enabled: true);
        }

        await using ReverbServer server = await starting;
        Assert.Equal(port, server.Port);
        await server.WaitForLineAsync("serving 1 TCP listening socket(s) and 0 UDP socket(s) passed by the service manager", EchoClient.Timeout);
        for (int i = 0; i < 6; i++)
        {
            using var client = await EchoClient.ConnectAsync(server);
            Assert.Equal("shared"u8.ToArray(), await client.RoundTripAsync("shared"u8.ToArray()));
        }

        await server.WaitForLineAsync($"listening on 127.0.0.1:{port} (model workers, pid {server.Pid}; 3 workers:", EchoClient.Timeout);
        Assert.Equal(1, ListeningSocketsOn(port));
    }

    /// <summary>A port free for both UDP and TCP, for the activators to bind.</summary>
    private static int FreeUdpAndTcpPort()
    {
        (Socket taken, int port) = UdpEchoTests.TakeUdpPortWhoseTcpPortIsFree();
        taken.Dispose();
        return port;
    }

    /// <summary>The socket:[inode] targets of the process's descriptors.</summary>
    private static HashSet<string> OpenSockets(int pid)
    {
        var sockets = new HashSet<string>();
        try
        {
            foreach (string fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:", StringComparison.Ordinal))
                {
                    sockets.Add(target);
                }
            }
        }
        catch (Exception ex) when (ex is DirectoryNotFoundException or FileNotFoundException)
        {
            // The process or one of its descriptors went away meanwhile: it holds nothing now.
        }

        return sockets;
    }

    /// <summary>Listening TCP sockets on 127.0.0.1:<paramref name="port"/> in this network namespace (/proc/net/tcp, state 0A).</summary>
    private static int ListeningSocketsOn(int port)
    {
        string local = $"0100007F:{port.ToString("X4", CultureInfo.InvariantCulture)}";
        return File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Count(f => f[1] == local && f[3] == "0A");
    }
}
