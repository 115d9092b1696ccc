using System.Diagnostics;
using System.Net.Sockets;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Monitoring;

/// <summary>The status directory and socket are checked, not trusted; asking is bounded in time.</summary>
public sealed class StatusSafetyTests
{
    private const UnixFileMode Sticky1777 = UnixFileMode.StickyBit | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_shared_directory_like_tmp_is_left_as_it_is_and_the_server_serves_without_a_status_socket()
    {
        using var shared = new ControlDirectory();
        Directory.CreateDirectory(shared.Path);
        File.SetUnixFileMode(shared.Path, Sticky1777);

        await using var server = await ReverbServer.StartAsync(shared.Environment, "--model", "async");
        using var client = await EchoClient.ConnectAsync(server);
        Assert.Equal("ok"u8.ToArray(), await client.RoundTripAsync("ok"u8.ToArray()));

        Assert.Equal(Sticky1777, File.GetUnixFileMode(shared.Path));
        Assert.Single(server.Lines, l => l.Contains("reverb status will not work", StringComparison.Ordinal) && l.Contains("writable by others", StringComparison.Ordinal));
        Assert.False(File.Exists(shared.SocketFor(server.Port)));
    }

    [Fact]
    public async Task REVERB_CONTROL_DIR_tmp_leaves_tmp_at_1777()
    {
        UnixFileMode before = File.GetUnixFileMode("/tmp");
        try
        {
            await using var server = await ReverbServer.StartAsync(new Dictionary<string, string> { ["REVERB_CONTROL_DIR"] = "/tmp" }, "--model", "async");
            using var client = await EchoClient.ConnectAsync(server);
            Assert.Equal("ok"u8.ToArray(), await client.RoundTripAsync("ok"u8.ToArray()));
            Assert.Equal(before, File.GetUnixFileMode("/tmp"));
        }
        finally
        {
            if (File.GetUnixFileMode("/tmp") != before)
            {
                File.SetUnixFileMode("/tmp", before);
            }
        }
    }

    [Fact]
    public async Task Status_refuses_a_directory_others_can_write_to_in_one_line()
    {
        using var control = new ControlDirectory();
        Directory.CreateDirectory(control.Path, OwnerOnly | UnixFileMode.GroupWrite | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        File.SetUnixFileMode(control.Path, OwnerOnly | UnixFileMode.GroupWrite | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);

        CommandResult result = await ReverbCommand.RunAsync(control.Environment, Timeout, "status");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"reverb: not asking: {control.Path} is writable by others (mode 770); use a directory only you can write to", result.Stderr.Trim());
    }

    [SkippableFact]
    public async Task Status_refuses_a_directory_or_a_socket_that_is_not_the_users()
    {
        Skip.IfNot(Signals.IsRoot, "needs root to give a file to another user");
        using var control = new ControlDirectory();
        Directory.CreateDirectory(control.Path, OwnerOnly);
        string socketPath = control.SocketFor(4242);
        using Socket fake = ListeningAt(socketPath);

        // A socket someone else made, in the user's own directory.
        Chown(socketPath);
        CommandResult socket = await ReverbCommand.RunAsync(control.Environment, Timeout, "status", "--port", "4242");
        Assert.Equal(1, socket.ExitCode);
        Assert.Equal($"reverb: not asking: {socketPath} belongs to uid 65534, not to you (uid 0)", socket.Stderr.Trim());

        // A directory someone else owns.
        Chown(control.Path);
        CommandResult directory = await ReverbCommand.RunAsync(control.Environment, Timeout, "status");
        Assert.Equal(1, directory.ExitCode);
        Assert.Equal($"reverb: not asking: {control.Path} belongs to uid 65534, not to you (uid 0)", directory.Stderr.Trim());
    }

    [Fact]
    public async Task A_socket_that_accepts_but_never_answers_fails_status_within_its_timeout_in_one_line()
    {
        using var control = new ControlDirectory();
        Directory.CreateDirectory(control.Path, OwnerOnly);
        string socketPath = control.SocketFor(4243);
        using Socket mute = ListeningAt(socketPath);
        using Socket accepted = await AcceptWhileAsync(mute, () => ReverbCommand.RunAsync(control.Environment, Timeout, "status", "--port", "4243"), out Task<CommandResult> status);

        long started = Stopwatch.GetTimestamp();
        CommandResult result = await status;
        TimeSpan took = Stopwatch.GetElapsedTime(started);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"reverb: the server on {socketPath} did not answer within 5 s", result.Stderr.Trim());
        Assert.True(took < TimeSpan.FromSeconds(15), $"status took {took.TotalSeconds:0.0} s");
    }

    private static Task<Socket> AcceptWhileAsync(Socket listener, Func<Task<CommandResult>> run, out Task<CommandResult> running)
    {
        running = run();
        return listener.AcceptAsync();
    }

    private static Socket ListeningAt(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen();
        return socket;
    }

    private static void Chown(string path)
    {
        using var chown = Process.Start("chown", ["65534:65534", path]);
        chown.WaitForExit();
        Assert.Equal(0, chown.ExitCode);
    }
}
