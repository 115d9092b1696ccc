using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Reverb.Tests.Infrastructure;

/// <summary>
/// Separate "hosts" on this machine: each a network namespace of its own (its own network stack, address and
/// ports) joined to this namespace by a veth pair, with addresses from 198.18.0.0/15 (RFC 2544's benchmarking
/// range), so no traffic leaves the machine. Needs root and iproute2.
/// Names carry the creating process's pid (namespace rvfl-PID-TAGn, host-side interface rvfPID.TAGn, the
/// host's own interface eth0): creation first removes what a dead process left behind, and disposing removes
/// everything, killing whatever still runs in the namespaces. bench/fleet.sh uses the same names.
/// </summary>
public sealed partial class NamespaceHosts : IAsyncDisposable
{
    private const string Ip = "/usr/sbin/ip";
    private const string Ss = "/usr/bin/ss";
    private static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(10);

    private NamespaceHosts(IReadOnlyList<Host> hosts) => Hosts = hosts;

    /// <summary>One host: its namespace, its own address, and the address this namespace has on the link to it.</summary>
    public sealed record Host(string Namespace, string Interface, string Address, string PeerAddress);

    public IReadOnlyList<Host> Hosts { get; }

    /// <summary>Why hosts cannot be made here, or null if they can (root, ip, network namespaces allowed).</summary>
    public static string? Unavailable =>
        !File.Exists(Ip) || !File.Exists(Ss) ? $"{Ip} and {Ss} are needed: apt-get install iproute2"
        : !Signals.IsRoot ? "network namespaces need root"
        : null;

    /// <summary>Creates <paramref name="count"/> hosts (at most 63), each on a /30 of one free 198.18.X.0/24.</summary>
    public static async Task<NamespaceHosts> CreateAsync(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 63);
        await SweepLeftoversAsync();
        string addresses = await ToolCommand.CheckedAsync(Ip, "-4", "-o", "address", "show");
        int[] free = [.. Enumerable.Range(1, 254).Where(x => !addresses.Contains($" 198.18.{x}.", StringComparison.Ordinal))];
        int subnet = free[Random.Shared.Next(free.Length)];
        string tag = Random.Shared.Next(256).ToString("x2", CultureInfo.InvariantCulture);
        int pid = Environment.ProcessId;

        var hosts = new List<Host>();
        var created = new NamespaceHosts(hosts);
        try
        {
            for (int n = 0; n < count; n++)
            {
                var host = new Host($"rvfl-{pid}-{tag}{n}", $"rvf{pid}.{tag}{n}", $"198.18.{subnet}.{(4 * n) + 2}", $"198.18.{subnet}.{(4 * n) + 1}");
                await ToolCommand.CheckedAsync(Ip, "netns", "add", host.Namespace);
                hosts.Add(host);
                await ToolCommand.CheckedAsync(Ip, "link", "add", host.Interface, "type", "veth", "peer", "name", "eth0", "netns", host.Namespace);
                await ToolCommand.CheckedAsync(Ip, "address", "add", $"{host.PeerAddress}/30", "dev", host.Interface);
                await ToolCommand.CheckedAsync(Ip, "link", "set", host.Interface, "up");
                await ToolCommand.CheckedAsync(Ip, "-n", host.Namespace, "address", "add", $"{host.Address}/30", "dev", "eth0");
                await ToolCommand.CheckedAsync(Ip, "-n", host.Namespace, "link", "set", "eth0", "up");
                await ToolCommand.CheckedAsync(Ip, "-n", host.Namespace, "link", "set", "lo", "up");
            }

            return created;
        }
        catch
        {
            await created.DisposeAsync();
            throw;
        }
    }

    /// <summary><paramref name="start"/> run inside the host's namespace by <c>ip netns exec</c> (which execs it: the pid stays the command's).</summary>
    public static ProcessStartInfo Inside(Host host, ProcessStartInfo start)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(start);
        string[] command = ["netns", "exec", host.Namespace, start.FileName, .. start.ArgumentList];
        start.FileName = Ip;
        start.ArgumentList.Clear();
        foreach (string argument in command)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <summary>
    /// The host dies: SIGKILL to every process in its namespace, again until none is left (a forking server may
    /// fork meanwhile) and no socket listens there any more. A killed multi-threaded process leaves <c>ip netns
    /// pids</c> when its main thread has exited, but its sockets close only when its last thread has: until
    /// then its listeners still accept.
    /// </summary>
    public static async Task KillEverythingInAsync(string netns)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            CommandResult pids = await ToolCommand.RunAsync(Ip, "netns", "pids", netns);
            string[] alive = pids.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (pids.ExitCode != 0 || (alive.Length == 0 && (await ToolCommand.RunAsync(Ss, "-N", netns, "-H", "--listening", "--tcp", "--udp")).Stdout.Trim().Length == 0))
            {
                return;
            }

            if (deadline.Elapsed > KillTimeout)
            {
                throw new TimeoutException($"processes or listeners still in {netns} after {KillTimeout.TotalSeconds:0} s of SIGKILL: {string.Join(' ', alive)}");
            }

            foreach (string pid in alive)
            {
                Signals.Send(int.Parse(pid, CultureInfo.InvariantCulture), Signals.SIGKILL);
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (Host host in Hosts)
        {
            await RemoveAsync(host.Namespace, host.Interface);
        }
    }

    private static async Task RemoveAsync(string netns, string? hostInterface)
    {
        await KillEverythingInAsync(netns);
        await ToolCommand.RunAsync(Ip, "netns", "delete", netns);
        // The pair goes with the namespace once nothing runs in it; this is for a pair whose namespace went first.
        if (hostInterface is not null)
        {
            await ToolCommand.RunAsync(Ip, "link", "delete", hostInterface);
        }
    }

    /// <summary>Removes the namespaces and interfaces of processes that died without cleaning up (killed test runs).</summary>
    private static async Task SweepLeftoversAsync()
    {
        foreach (Match left in LeftoverNamespace().Matches(await ToolCommand.CheckedAsync(Ip, "netns", "list")))
        {
            if (!Directory.Exists($"/proc/{left.Groups[2].Value}"))
            {
                await RemoveAsync(left.Groups[1].Value, hostInterface: null);
            }
        }

        foreach (Match left in LeftoverInterface().Matches(await ToolCommand.CheckedAsync(Ip, "-o", "link", "show")))
        {
            if (!Directory.Exists($"/proc/{left.Groups[2].Value}"))
            {
                await ToolCommand.RunAsync(Ip, "link", "delete", left.Groups[1].Value);
            }
        }
    }

    [GeneratedRegex(@"^(rvfl-(\d+)-[0-9a-f]+)", RegexOptions.Multiline)]
    private static partial Regex LeftoverNamespace();

    [GeneratedRegex(@"^\d+: (rvf(\d+)\.[0-9a-f]+)[@:]", RegexOptions.Multiline)]
    private static partial Regex LeftoverInterface();
}
