using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Reverb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Reverb.Tests.Deploy;

/// <summary>
/// deploy/Containerfile, built with buildah. No container can be started on this machine (its runtime
/// refuses the rlimits and cgroups here), so the image's entrypoint runs as a runtime would start it:
/// on the image's exported root filesystem (chroot), in a PID namespace of its own (reverb is PID 1),
/// as the image's user, with the image's environment only.
/// </summary>
public sealed class ContainerImageTests(ContainerImage image, ITestOutputHelper output) : IClassFixture<ContainerImage>
{
    [SkippableFact]
    public async Task The_image_runs_reverb_serve_as_a_non_root_user_on_port_7007_from_the_native_binary_alone()
    {
        string? unavailable = ContainerImage.Unavailable();
        Skip.If(unavailable is not null, unavailable);
        ContainerImage.Built built = await image.BuildAsync();
        output.WriteLine($"built in {built.BuildTime.TotalSeconds:0.0} s: {built.Config}");
        JsonElement config = built.Config;

        Assert.Equal(["/reverb", "serve"], config.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
        Assert.False(config.TryGetProperty("Cmd", out JsonElement cmd) && cmd.ValueKind == JsonValueKind.Array && cmd.GetArrayLength() > 0, "no Cmd: arguments after the image name go to reverb serve");
        (int uid, int gid) = ContainerImage.User(config);
        Assert.NotEqual(0, uid);
        Assert.NotEqual(0, gid);
        Assert.Equal(["7007/tcp", "7007/udp"], config.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name).Order());
        Dictionary<string, string> environment = ContainerImage.Environment(config);
        Assert.Equal("7007", environment["REVERB_PORT"]);
        Assert.Equal("true", environment["REVERB_UDP"]);
        Assert.Equal("0.0.0.0", environment["REVERB_HOST"]);
        Assert.Equal("SIGTERM", config.GetProperty("StopSignal").GetString());
        CommandResult version = await ToolCommand.RunAsync(built.Binary, new Dictionary<string, string>(), EchoClient.Timeout, "--version");
        Assert.Equal(version.Stdout.Trim().Split(' ')[^1], config.GetProperty("Labels").GetProperty("org.opencontainers.image.version").GetString());

        // The root filesystem: the very binary, the libraries it links, the user's name; no shell, nothing else.
        string root = await image.RootFsAsync();
        Assert.Equal(SHA256.HashData(await File.ReadAllBytesAsync(built.Binary)), SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(root, "reverb"))));
        Assert.Contains($"reverb:x:{uid}:{gid}:", await File.ReadAllTextAsync(Path.Combine(root, "etc", "passwd")), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.StickyBit, File.GetUnixFileMode(Path.Combine(root, "tmp")) & UnixFileMode.StickyBit);
        Assert.False(File.Exists(Path.Combine(root, "bin", "sh")), "the image holds no shell");
        string[] files = [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => "/" + Path.GetRelativePath(root, f)).Order()];
        output.WriteLine(string.Join('\n', files));
        Assert.All(files, f => Assert.True(f is "/reverb" or "/etc/passwd" or "/etc/group" || f.StartsWith("/usr/share/doc/", StringComparison.Ordinal) || f.Contains(".so", StringComparison.Ordinal), $"unexpected file {f} in the image"));
    }

    [SkippableFact]
    public async Task The_entrypoint_as_PID_1_serves_echo_reaps_orphans_and_drains_then_exits_0_on_SIGTERM()
    {
        string? unavailable = ContainerImage.Unavailable();
        Skip.If(unavailable is not null, unavailable);
        ContainerImage.Built built = await image.BuildAsync();
        string root = await image.RootFsAsync();

        // A runtime mounts /proc on the directory it creates in the container's own (writable) layer.
        Directory.CreateDirectory(Path.Combine(root, "proc"));
        (int uid, int gid) = ContainerImage.User(built.Config);
        string[] entrypoint = [.. built.Config.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()!)];
        var start = new ProcessStartInfo("unshare") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string argument in (string[])["--pid", "--fork", "--kill-child", "--mount-proc", $"--root={root}", "--wd=/", "--setuid", $"{uid}", "--setgid", $"{gid}", "--", .. entrypoint])
        {
            start.ArgumentList.Add(argument);
        }

        // The image's environment alone, except the address: this chroot shares the machine's network,
        // so loopback and a free port rather than 0.0.0.0:7007.
        start.Environment.Clear();
        foreach ((string name, string value) in ContainerImage.Environment(built.Config))
        {
            start.Environment[name] = value;
        }

        start.Environment["REVERB_HOST"] = "127.0.0.1";
        start.Environment["REVERB_PORT"] = "0";

        await using var server = await ReverbServer.StartFromAsync(start);
        int master = ProcessTable.ChildrenOf(server.Pid).Single().Pid;
        Assert.Equal(1, NamespacePid(master));
        Assert.Contains($"Uid:\t{uid}\t{uid}\t{uid}\t{uid}", await File.ReadAllTextAsync($"/proc/{master}/status"), StringComparison.Ordinal);
        Assert.Equal(root.TrimEnd('/'), new DirectoryInfo($"/proc/{master}/root").LinkTarget);

        // TCP echo from a forked process, and UDP echo (REVERB_UDP) from the master.
        using var client = await EchoClient.ConnectAsync(server);
        byte[] first = Payloads.Random(100_000, seed: 1);
        Assert.Equal(first, await client.RoundTripAsync(first));
        await server.WaitForLineAsync($"accepted 127.0.0.1:{client.LocalPort} (worker ", EchoClient.Timeout);
        using (var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            await udp.SendToAsync("datagram"u8.ToArray(), SocketFlags.None, new IPEndPoint(IPAddress.Loopback, server.Port));
            byte[] reply = new byte[64];
            using var wait = new CancellationTokenSource(EchoClient.Timeout);
            int n = await udp.ReceiveAsync(reply, SocketFlags.None, wait.Token);
            Assert.Equal("datagram"u8.ToArray(), reply[..n]);
        }

        // An orphan of the container: a process entered into its PID namespace starts a child and
        // exits; the child is reparented to PID 1, and must be reaped by it when it exits, not left a zombie.
        CommandResult entered = await ToolCommand.RunAsync("nsenter", new Dictionary<string, string>(), EchoClient.Timeout, "--target", $"{master}", "--pid", "--", "/bin/sh", "-c", "/bin/sleep 2 </dev/null >/dev/null 2>&1 & echo $!");
        Assert.Equal(0, entered.ExitCode);
        int orphanInNamespace = int.Parse(entered.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        ProcessTable.Entry? orphan = null;
        await Eventually.AssertAsync(() => (orphan = ProcessTable.ChildrenOf(master).FirstOrDefault(c => NamespacePid(c.Pid) == orphanInNamespace)) is not null, EchoClient.Timeout, "the orphan to become PID 1's child");
        await Eventually.AssertAsync(() => ProcessTable.TryRead(orphan!.Pid) is null, EchoClient.Timeout, $"PID 1 to reap the orphan {orphan!.Pid} (state now {ProcessTable.TryRead(orphan.Pid)?.State})");

        // SIGTERM with a client open: PID 1 drains; the client's process still echoes until the client
        // closes, then everything exits, with 0.
        int[] tree = [.. server.Descendants().Select(e => e.Pid)];
        Assert.True(tree.Length >= 3, $"master, forking process and the client's process: {string.Join(", ", server.Descendants())}");
        int after = server.LineCount;
        Signals.Send(master, Signals.SIGTERM);
        await server.WaitForLineAsync("SIGTERM: stopping", EchoClient.Timeout, after: after);
        byte[] second = Payloads.Random(50_000, seed: 2);
        Assert.Equal(second, await client.RoundTripAsync(second));
        client.Socket.Shutdown(SocketShutdown.Send);
        (byte[] rest, bool clean) = await client.ReadToEndAsync(EchoClient.Timeout);
        Assert.True(clean && rest.Length == 0, "the server closed the drained client cleanly");

        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        output.WriteLine(server.Log);
        Assert.Contains($"finished 127.0.0.1:{client.LocalPort} ", server.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("killing their processes", server.Log, StringComparison.Ordinal);
        Assert.All(tree, pid => Assert.Null(ProcessTable.TryRead(pid)));
    }

    /// <summary>The process's pid in its own (innermost) PID namespace, from the NSpid line of /proc/PID/status; 0 if it is gone.</summary>
    private static int NamespacePid(int pid)
    {
        try
        {
            string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("NSpid:", StringComparison.Ordinal));
            return int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[^1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            return 0;
        }
    }
}
