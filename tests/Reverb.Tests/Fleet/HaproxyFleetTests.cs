using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Reverb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Reverb.Tests.Fleet;

/// <summary>
/// The shipped deploy/haproxy.cfg in front of three reverb instances, each on a host of its own (a network
/// namespace with its own address, see <see cref="NamespaceHosts"/>), under verified load from two
/// <c>reverb bench</c> runs (long pingpong sessions and connection churn) through HAProxy on loopback,
/// while one host dies (every process in it SIGKILLed) and comes back.
/// The account of who served what is HAProxy's own: one log line per session (client, server, accept
/// time, duration, termination state), checked to be complete against its stats socket.
/// </summary>
public sealed partial class HaproxyFleetTests(ITestOutputHelper output)
{
    private const int MetricsPort = 9100;
    private const string Victim = "reverb1";

    /// <summary>HAProxy stamps accept times with a clock it refreshes once per event-loop turn: this much slack either way.</summary>
    private const long ClockSlackMs = 50;

    /// <summary>
    /// Kill to DOWN with the shipped checks (inter 1s, fastinter 250ms, fall 2, timeout check 1s) is at most
    /// about 1.3 s plus check durations on a refused port; the rest is room for a loaded 2-core machine.
    /// </summary>
    private static readonly TimeSpan DetectionBound = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public async Task A_host_dying_under_verified_load_costs_only_the_sessions_it_held_and_is_taken_back_when_it_returns()
    {
        Skip.If(HaproxyProcess.Unavailable is not null, HaproxyProcess.Unavailable);
        Skip.If(NamespaceHosts.Unavailable is not null, NamespaceHosts.Unavailable);
        Skip.If(RepositoryPaths.Root is null, "deploy/haproxy.cfg is not beside this test build");
        string shipped = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "deploy", "haproxy.cfg"));
        Assert.Contains($"check port {MetricsPort} ", shipped, StringComparison.Ordinal);

        NamespaceHosts? created = null;
        try
        {
            created = await NamespaceHosts.CreateAsync(3);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("Operation not permitted", StringComparison.Ordinal))
        {
            Skip.If(true, "this machine does not allow network namespaces (a container without CAP_SYS_ADMIN?): " + e.Message);
        }

        await using NamespaceHosts hosts = created!;
        // The victim runs the process model: a master, a forking process and a process per client, all of which die with the host.
        string[] models = ["process", "workers", "async"];
        var instances = new List<ReverbServer>();
        try
        {
            instances.AddRange(await Task.WhenAll(hosts.Hosts.Select((host, i) => StartInstanceAsync(host, models[i]))));
            int port = OneShotExchange.FreeTcpPort();
            await using HaproxyProcess haproxy = await HaproxyProcess.StartAsync(port, folder => FleetConfig(shipped, folder, port, hosts.Hosts));
            foreach (string server in (string[])["reverb1", "reverb2", "reverb3"])
            {
                await WaitForStatusAsync(haproxy, server, "UP", Bound);
            }

            long benchStart = NowMs();
            string pingpongJson = Path.Combine(haproxy.Folder, "pingpong.json");
            string churnJson = Path.Combine(haproxy.Folder, "churn.json");
            Task<CommandResult> pingpong = Bench(port, "pingpong", 12, pingpongJson);
            Task<CommandResult> churn = Bench(port, "churn", 1, churnJson);

            // Both benches are running (churn sessions have ended, so are in the log) and the victim holds some of
            // the long sessions (round robin spreads the twelve).
            Assert.True(await EventuallyAsync(async () => Sessions(haproxy).Count(s => s.AcceptedMs >= benchStart) >= 20 && int.Parse(await haproxy.StatAsync("reverbs", Victim, "scur"), CultureInfo.InvariantCulture) >= 3, Bound), $"the benches did not get going, or {Victim} got no sessions");

            NamespaceHosts.Host victimHost = hosts.Hosts[0];
            long killAt = NowMs();
            await NamespaceHosts.KillEverythingInAsync(victimHost.Namespace);
            long killDone = NowMs();
            long downAt = await WaitForStatusAsync(haproxy, Victim, "DOWN", Bound);

            // While it is down, new clients are served (by the others, as HAProxy's log shows below).
            var whileDown = new List<string>();
            for (int i = 0; i < 6; i++)
            {
                byte[] data = Payloads.Random(4096, seed: 100 + i);
                OneShotExchange.Outcome outcome = await OneShotExchange.RunAsync(new IPEndPoint(IPAddress.Loopback, port), data, EchoClient.Timeout);
                Assert.Equal(data, outcome.Echoed);
                whileDown.Add($"127.0.0.1:{outcome.LocalPort}");
            }

            ReverbServer killed = instances[0];
            instances.RemoveAt(0);
            await killed.DisposeAsync();
            long restartAt = NowMs();
            instances.Insert(0, await StartInstanceAsync(victimHost, models[0]));
            long upAt = await WaitForStatusAsync(haproxy, Victim, "UP", Bound);

            // Taken back: new clients reach the restarted instance (its turn in the round robin comes every third client).
            bool servedByRestarted = false;
            for (int i = 0; i < 30 && !servedByRestarted; i++)
            {
                byte[] data = Payloads.Random(4096, seed: i);
                OneShotExchange.Outcome outcome = await OneShotExchange.RunAsync(new IPEndPoint(IPAddress.Loopback, port), data, EchoClient.Timeout);
                Assert.Equal(data, outcome.Echoed);
                servedByRestarted = await Eventually.TrueAsync(() => instances[0].Log.Contains($"client 127.0.0.1:{outcome.LocalPort} via {victimHost.PeerAddress}:", StringComparison.Ordinal), TimeSpan.FromMilliseconds(500));
            }

            Assert.True(servedByRestarted, $"the restarted {Victim} served none of 30 new clients");

            CommandResult[] benches = await Task.WhenAll(pingpong, churn);
            JsonElement[] results = [.. new[] { pingpongJson, churnJson }.Select(file => JsonDocument.Parse(File.ReadAllText(file)).RootElement)];
            Assert.True(results.All(r => r.GetProperty("mismatches").GetInt64() == 0), "mismatched echoes:\n" + string.Join('\n', benches.Select(b => b.Stdout)));
            long failures = results.Sum(r => r.GetProperty("errors").GetInt64() + r.GetProperty("timeouts").GetInt64());

            // Every session is in HAProxy's log once it has ended: wait for all of them, counted by the stats socket.
            IReadOnlyList<Session> sessions = [];
            Assert.True(
                await EventuallyAsync(
                    async () =>
                    {
                        sessions = Sessions(haproxy);
                        return await haproxy.StatAsync("echo", "FRONTEND", "scur") == "0"
                            && sessions.Count == int.Parse(await haproxy.StatAsync("echo", "FRONTEND", "stot"), CultureInfo.InvariantCulture);
                    },
                    Bound),
                "HAProxy's session log is incomplete:\n" + string.Join('\n', haproxy.Output.TakeLast(20)));
            sessions = [.. sessions.Where(s => s.AcceptedMs >= benchStart - ClockSlackMs)];

            // What the victim's death may cost: the sessions it held (open at some point while it was being killed),
            // and new clients that HAProxy tried on it after it died and before the checks marked it down. Over a real
            // link a refused connect is reported asynchronously, and HAProxy 2.6 then retries the same server after a
            // one-second pause instead of redispatching: such a client fails ("SC", it never reached an instance).
            Session[] held = [.. sessions.Where(s => s.Server == Victim && s.AcceptedMs <= killDone + ClockSlackMs && s.EndedMs >= killAt - ClockSlackMs)];
            Session[] refused = [.. sessions.Where(s => s.Server == Victim && s.AcceptedMs > killDone + ClockSlackMs && s.AcceptedMs < restartAt)];
            Session[] afterDown = [.. sessions.Where(s => s.AcceptedMs > downAt + ClockSlackMs && s.AcceptedMs < restartAt)];
            string account = string.Create(CultureInfo.InvariantCulture, $"""
                kill {killAt}..{killDone} (+{killDone - killAt} ms), DOWN +{downAt - killDone} ms, restart {restartAt}, UP +{upAt - restartAt} ms;
                bench failures {failures}; {sessions.Count} sessions, {held.Length} held by {Victim} at the kill, {refused.Length} tried on it before it was marked down,
                {afterDown.Length} new while it was down ({sessions.Count(s => s.Retries.StartsWith('+'))} redispatched after a failed connect); not ended normally:
                {string.Join('\n', sessions.Where(s => s.State != "--").Take(20).Select(s => s.Line))}
                """);

            output.WriteLine(account);
            Assert.True(held.Length >= 1, "the victim held no session when it was killed: " + account);
            Assert.True(failures <= held.Length + refused.Length, "more client failures than sessions the victim's death can explain: " + account);
            Assert.All(sessions.Where(s => s.State != "--"), s => Assert.True(held.Contains(s) || refused.Contains(s), $"a session that the victim did not hold ended abnormally: {s.Line}\n{account}"));
            Assert.All(refused, s => Assert.True(s.State == "SC" && s.AcceptedMs <= downAt + ClockSlackMs, $"after it died, {Victim} served a client, or got one after it was marked down: {s.Line}\n{account}"));
            Assert.All(whileDown, client => Assert.True(sessions.Any(s => s.Client == client && s.Server is "reverb2" or "reverb3"), $"{client}, sent while {Victim} was down, is not in the log as served by another instance: {account}"));
            Assert.All(afterDown, s => Assert.True(s.Server is "reverb2" or "reverb3", $"a new client went to {s.Server} while {Victim} was down: {s.Line}\n{account}"));
            Assert.True(downAt - killDone <= DetectionBound.TotalMilliseconds, $"{Victim} was marked DOWN only {downAt - killDone} ms after it died: {account}");
            Assert.Contains(sessions, s => s.Server == Victim && s.AcceptedMs >= upAt - ClockSlackMs);
        }
        finally
        {
            foreach (ReverbServer instance in instances)
            {
                await instance.DisposeAsync();
            }
        }
    }

    /// <summary>One line of HAProxy's session log (the log-format <see cref="FleetConfig"/> sets).</summary>
    private sealed record Session(string Line, string Client, string Server, long AcceptedMs, long EndedMs, string State, string Retries);

    private static Task<ReverbServer> StartInstanceAsync(NamespaceHosts.Host host, string model) =>
        ReverbServer.StartFromAsync(NamespaceHosts.Inside(host, ReverbCommand.StartInfo(
        [
            "serve", "7", "--host", host.Address, "--model", model,
            "--proxy-protocol", "--trusted-proxy", host.PeerAddress, "--metrics", $"{host.Address}:{MetricsPort}",
        ])));

    private static Task<CommandResult> Bench(int port, string workload, int connections, string json) =>
        ReverbCommand.RunAsync(
            TimeSpan.FromSeconds(60),
            "bench", "127.0.0.1", port.ToString(CultureInfo.InvariantCulture), "--workload", workload,
            "--connections", connections.ToString(CultureInfo.InvariantCulture), "--duration", "8s", "--warmup", "0s", "--timeout", "3s", "--json", json);

    /// <summary>
    /// The shipped configuration, with only what a test must change: where HAProxy listens and keeps its stats
    /// socket, the three servers' addresses, and a session log line with Unix-time accept dates (tcplog's dates
    /// are local time to the second's thousandth, without a zone) to compare with this test's clock.
    /// </summary>
    private static string FleetConfig(string shipped, string folder, int port, IReadOnlyList<NamespaceHosts.Host> hosts)
    {
        string config = Replace(shipped, "bind :7", $"bind 127.0.0.1:{port}");
        config = Replace(config, "/run/haproxy/reverb-admin.sock", Path.Combine(folder, HaproxyProcess.StatsSocketName));
        config = Replace(config, "option tcplog", """log-format "session %ci:%cp %b/%s %Ts.%ms %Tt %ts %rc" """);
        for (int i = 0; i < hosts.Count; i++)
        {
            config = Replace(config, $"server reverb{i + 1} 192.0.2.{11 + i}:7", $"server reverb{i + 1} {hosts[i].Address}:7");
        }

        return config;

        static string Replace(string text, string old, string replacement)
        {
            Assert.Contains(old, text, StringComparison.Ordinal);
            return text.Replace(old, replacement, StringComparison.Ordinal);
        }
    }

    private static List<Session> Sessions(HaproxyProcess haproxy) =>
        [.. haproxy.Output.Select(line => SessionLine().Match(line)).Where(m => m.Success).Select(m =>
        {
            long accepted = (long.Parse(m.Groups["s"].Value, CultureInfo.InvariantCulture) * 1000) + int.Parse(m.Groups["ms"].Value, CultureInfo.InvariantCulture);
            return new Session(m.Value, m.Groups["client"].Value, m.Groups["server"].Value, accepted, accepted + long.Parse(m.Groups["tt"].Value, CultureInfo.InvariantCulture), m.Groups["ts"].Value, m.Groups["rc"].Value);
        })];

    /// <summary>Polls the stats socket until <paramref name="server"/>'s status is exactly <paramref name="status"/>; returns when (Unix ms).</summary>
    private static async Task<long> WaitForStatusAsync(HaproxyProcess haproxy, string server, string status, TimeSpan timeout)
    {
        string last = "";
        Assert.True(await EventuallyAsync(async () => (last = await haproxy.StatAsync("reverbs", server, "status")) == status, timeout), $"{server} is {last}, not {status}, after {timeout.TotalSeconds:0} s");
        return NowMs();
    }

    /// <summary>As <see cref="Eventually.TrueAsync"/> for a condition that must itself be awaited (a stats socket query).</summary>
    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var elapsed = Stopwatch.StartNew();
        while (!await condition())
        {
            if (elapsed.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(25);
        }

        return true;
    }

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [GeneratedRegex(@"session (?<client>\S+) reverbs/(?<server>\S+) (?<s>\d+)\.(?<ms>\d{3}) (?<tt>-?\d+) (?<ts>\S\S) (?<rc>\+?-?\d+)")]
    private static partial Regex SessionLine();
}
