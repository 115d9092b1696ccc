using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Reverb.Commands;
using Reverb.Monitoring;
using Reverb.Tests.Infrastructure;
using Reverb.Tests.Monitoring;

namespace Reverb.Tests.Deploy;

/// <summary>
/// deploy/kubernetes: valid for Kubernetes' own schemas (offline, kubernetes-models), holding the
/// facts an operator relies on, and configuring a real reverb that answers the probes as the kubelet expects.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private const string Unshare = "/usr/bin/unshare";
    private const string Setpriv = "/usr/bin/setpriv";
    private const string Nsenter = "/usr/bin/nsenter";

    private static string ManifestFolder => Path.Combine(SystemdUnitTests.DeployFolder, "kubernetes");

    private static string[] ManifestFiles => [.. Directory.GetFiles(ManifestFolder, "*.yaml").Order(StringComparer.Ordinal)];

    [SkippableFact]
    public async Task The_manifests_pass_the_Kubernetes_schemas()
    {
        DeployChecks.SkipUnlessNodeIsInstalled();

        CommandResult result = await DeployChecks.RunAsync("k8s-validate.mjs", [.. ManifestFiles]);

        Assert.True(result.ExitCode == 0, result.Stderr);
        foreach (string kind in (string[])["Deployment/reverb", "Service/reverb", "PodDisruptionBudget/reverb"])
        {
            Assert.Contains($"{kind} valid", result.Stdout, StringComparison.Ordinal);
        }
    }

    /// <summary>The validator is no rubber stamp: a wrong type, a missing required field and an unknown enum value are rejected.</summary>
    [SkippableTheory]
    [InlineData("deployment.yaml", "containerPort: 7007", "containerPort: \"7007\"", "/spec/template/spec/containers/0/ports/0/containerPort must be integer")]
    [InlineData("deployment.yaml", "        - name: reverb\n          image:", "        - image:", "/spec/template/spec/containers/0 must have required property name")]
    [InlineData("deployment.yaml", "type: RuntimeDefault", "type: Strict", "/spec/template/spec/securityContext/seccompProfile/type must be equal to one of the allowed values")]
    [InlineData("service.yaml", "protocol: UDP", "protocol: QUIC", "/spec/ports/1/protocol must be equal to one of the allowed values")]
    [InlineData("poddisruptionbudget.yaml", "apiVersion: policy/v1", "apiVersion: policy/v9", "no Kubernetes schema for apiVersion 'policy/v9'")]
    public async Task A_broken_copy_of_a_manifest_is_rejected(string manifest, string original, string broken, string error)
    {
        DeployChecks.SkipUnlessNodeIsInstalled();
        string text = await File.ReadAllTextAsync(Path.Combine(ManifestFolder, manifest));
        Assert.Contains(original, text, StringComparison.Ordinal);
        string folder = Directory.CreateTempSubdirectory("reverb-k8s").FullName;
        try
        {
            string copy = Path.Combine(folder, manifest);
            await File.WriteAllTextAsync(copy, ReplaceFirst(text, original, broken));

            CommandResult result = await DeployChecks.RunAsync("k8s-validate.mjs", copy);

            Assert.Equal(1, result.ExitCode);
            Assert.Contains(error, result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [SkippableFact]
    public async Task The_Deployment_probes_drains_and_runs_unprivileged()
    {
        DeployChecks.SkipUnlessNodeIsInstalled();
        Manifests m = await Manifests.LoadAsync();
        JsonElement pod = m.Deployment.Path("spec", "template", "spec");
        JsonElement container = m.Container;

        // Readiness on /healthz and liveness on /livez, both of the metrics endpoint that REVERB_METRICS opens.
        int metricsPort = MetricsEndpoint.Parse(m.Env("REVERB_METRICS")).Port;
        Assert.Equal("/healthz", container.Path("readinessProbe", "httpGet", "path").GetString());
        Assert.Equal("/livez", container.Path("livenessProbe", "httpGet", "path").GetString());
        Assert.Equal(metricsPort, m.ContainerPort(container.Path("readinessProbe", "httpGet", "port")));
        Assert.Equal(metricsPort, m.ContainerPort(container.Path("livenessProbe", "httpGet", "port")));

        // The kubelet's SIGKILL comes after the preStop sleep, then reverb's whole drain.
        Assert.True(DurationParser.TryParse(m.Env("REVERB_DRAIN_TIMEOUT"), out TimeSpan drain));
        int preStop = container.Path("lifecycle", "preStop", "sleep", "seconds").GetInt32();
        int grace = pod.GetProperty("terminationGracePeriodSeconds").GetInt32();
        Assert.True(grace > preStop + drain.TotalSeconds, $"terminationGracePeriodSeconds {grace} <= {preStop} s preStop + {drain.TotalSeconds} s drain");

        // Unprivileged, read-only, with the status socket in a writable emptyDir.
        Assert.True(pod.Path("securityContext", "runAsNonRoot").GetBoolean());
        Assert.NotEqual(0, pod.Path("securityContext", "runAsUser").GetInt32());
        Assert.Equal("RuntimeDefault", pod.Path("securityContext", "seccompProfile", "type").GetString());
        Assert.False(container.Path("securityContext", "allowPrivilegeEscalation").GetBoolean());
        Assert.True(container.Path("securityContext", "readOnlyRootFilesystem").GetBoolean());
        Assert.Equal(["ALL"], container.Path("securityContext", "capabilities", "drop").EnumerateArray().Select(c => c.GetString()));
        string mount = container.GetProperty("volumeMounts").EnumerateArray().Single(v => m.Env("REVERB_CONTROL_DIR").StartsWith(v.GetProperty("mountPath").GetString() + "/", StringComparison.Ordinal)).GetProperty("name").GetString()!;
        Assert.Contains(pod.GetProperty("volumes").EnumerateArray(), v => v.GetProperty("name").GetString() == mount && v.TryGetProperty("emptyDir", out _));
        Assert.False(pod.GetProperty("enableServiceLinks").GetBoolean());

        foreach (string kind in (string[])["requests", "limits"])
        {
            Assert.True(container.Path("resources", kind).TryGetProperty("memory", out _), $"no memory {kind}");
            Assert.True(container.Path("resources", kind).TryGetProperty("cpu", out _), $"no cpu {kind}");
        }

        // Prometheus finds the metrics where reverb serves them.
        JsonElement annotations = m.Deployment.Path("spec", "template", "metadata", "annotations");
        Assert.Equal("true", annotations.GetProperty("prometheus.io/scrape").GetString());
        Assert.Equal(metricsPort.ToString(CultureInfo.InvariantCulture), annotations.GetProperty("prometheus.io/port").GetString());
        Assert.Equal("/metrics", annotations.GetProperty("prometheus.io/path").GetString());
    }

    [SkippableFact]
    public async Task The_Service_carries_TCP_and_UDP_7_and_the_selectors_match_the_pods()
    {
        DeployChecks.SkipUnlessNodeIsInstalled();
        Manifests m = await Manifests.LoadAsync();
        int echoPort = int.Parse(m.Env("REVERB_PORT"), CultureInfo.InvariantCulture);
        Assert.True(EnvironmentDefaults.TryParseFlag(m.Env("REVERB_UDP"), out bool udp) && udp, "REVERB_UDP is on");

        JsonElement[] ports = [.. m.Service.Path("spec", "ports").EnumerateArray()];
        Assert.Equal(["TCP", "UDP"], ports.Select(p => p.GetProperty("protocol").GetString()).Order(StringComparer.Ordinal));
        foreach (JsonElement port in ports)
        {
            Assert.Equal(7, port.GetProperty("port").GetInt32());
            Assert.Equal(echoPort, m.ContainerPort(port.GetProperty("targetPort"), port.GetProperty("protocol").GetString()));
        }

        Dictionary<string, string> podLabels = Labels(m.Deployment.Path("spec", "template", "metadata", "labels"));
        foreach (JsonElement selector in (JsonElement[])[m.Deployment.Path("spec", "selector", "matchLabels"), m.Budget.Path("spec", "selector", "matchLabels"), m.Service.Path("spec", "selector")])
        {
            Dictionary<string, string> wanted = Labels(selector);
            Assert.NotEmpty(wanted);
            Assert.All(wanted, label => Assert.Equal(label.Value, podLabels.GetValueOrDefault(label.Key)));
        }

        int replicas = m.Deployment.Path("spec", "replicas").GetInt32();
        Assert.True(m.Budget.Path("spec", "maxUnavailable").GetInt32() < replicas, "the budget leaves a pod serving");
    }

    /// <summary>
    /// The container's configuration run for real, confined as its securityContext confines it: its user
    /// and group, no capabilities, no new privileges, the root file system read-only and a fresh tmpfs
    /// (a medium: Memory emptyDir) at each emptyDir mount. On loopback ports of the test's choosing, it
    /// serves TCP and UDP; the readiness probe's path turns 503 in the drain while the liveness probe's
    /// stays 200; reverb exits 0.
    /// </summary>
    [SkippableFact]
    public async Task The_containers_configuration_serves_confined_and_answers_the_probes_through_a_drain()
    {
        DeployChecks.SkipUnlessNodeIsInstalled();
        Skip.IfNot(Signals.IsRoot && File.Exists(Unshare) && File.Exists(Setpriv) && File.Exists(Nsenter), "needs root, unshare, setpriv and nsenter (util-linux) to confine reverb as the pod would be");
        Manifests m = await Manifests.LoadAsync();
        JsonElement pod = m.Deployment.Path("spec", "template", "spec");
        Dictionary<string, string> environment = m.Container.GetProperty("env").EnumerateArray()
            .ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("value").GetString()!);
        environment["REVERB_METRICS"] = "127.0.0.1:0";
        string readiness = m.Container.Path("readinessProbe", "httpGet", "path").GetString()!;
        string liveness = m.Container.Path("livenessProbe", "httpGet", "path").GetString()!;
        HashSet<string> emptyDirs = [.. pod.GetProperty("volumes").EnumerateArray().Where(v => v.TryGetProperty("emptyDir", out _)).Select(v => v.GetProperty("name").GetString()!)];
        string[] tmpfs = [.. m.Container.GetProperty("volumeMounts").EnumerateArray().Where(v => emptyDirs.Contains(v.GetProperty("name").GetString()!)).Select(v => v.GetProperty("mountPath").GetString()!)];
        Assert.All(tmpfs, path => Assert.Matches("^/[A-Za-z0-9/._-]+$", path));
        ProcessStartInfo reverb = ReverbCommand.StartInfo([]);
        string? hidden = ((string[])[Path.GetFullPath(reverb.FileName), AppContext.BaseDirectory]).FirstOrDefault(file => tmpfs.Any(dir => file.StartsWith(dir + "/", StringComparison.Ordinal)));
        Skip.If(hidden is not null, $"the reverb under test ({hidden}) lies below an emptyDir mount of the pod ({string.Join(", ", tmpfs)}), which hides it");

        // A mount namespace of its own: what it mounts vanishes with it. Every step execs the next, so the pid is reverb's.
        string script = string.Concat(["mount -o remount,bind,ro / && ", .. tmpfs.Select(path => $"mount -t tmpfs -o mode=0777,size=1m tmpfs {path} && "), "exec \"$@\""]);
        string[] asPodUser =
        [
            Setpriv, $"--reuid={pod.Path("securityContext", "runAsUser").GetInt32()}", $"--regid={pod.Path("securityContext", "runAsGroup").GetInt32()}",
            "--clear-groups", "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "--",
            "/usr/bin/env", .. environment.Select(e => $"{e.Key}={e.Value}"),
        ];
        string[] confined = [Unshare, "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh", .. asPodUser];

        ReverbServer server;
        try
        {
            server = await ReverbServer.StartWrappedAsync(confined);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("Permission denied", StringComparison.Ordinal) && !e.Message.Contains("reverb:", StringComparison.Ordinal))
        {
            throw new SkipException($"the test build is not readable by the pod's user on this machine: {e.Message}");
        }

        await using var running = server;
        int metricsPort = await MetricsTests.MetricsPortAsync(server);
        using var client = await EchoClient.ConnectAsync(server);
        Assert.Equal("tcp"u8.ToArray(), await client.RoundTripAsync("tcp"u8.ToArray()));
        await AssertUdpEchoAsync(server.Port);
        Dictionary<string, double> metrics = await MetricsTests.ScrapeAsync(metricsPort);
        Assert.Contains(metrics, s => s.Key.StartsWith($"reverb_info{{model=\"{environment["REVERB_MODEL"]}\"", StringComparison.Ordinal));
        Assert.Equal(int.Parse(environment["REVERB_WORKERS"], CultureInfo.InvariantCulture), server.Children().Count);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(metricsPort, readiness));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(metricsPort, liveness));

        // kubectl exec deploy/reverb -- /reverb status: its socket is in the pod's own writable place.
        ProcessStartInfo status = ReverbCommand.StartInfo(["status"]);
        string[] inPod = ["-t", server.Pid.ToString(CultureInfo.InvariantCulture), "--mount", "--", .. asPodUser, status.FileName, .. status.ArgumentList];
        status.FileName = Nsenter;
        status.ArgumentList.Clear();
        inPod.ToList().ForEach(status.ArgumentList.Add);
        CommandResult table = await ToolCommand.RunAsync(status, Timeout);
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains($"(pid {server.Pid}, model {environment["REVERB_MODEL"]}) serving", table.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("reverb status will not work", server.Log, StringComparison.Ordinal);

        int before = server.LineCount;
        server.Signal(Signals.SIGTERM);
        await server.WaitForLineAsync("SIGTERM: stopping", Timeout, after: before);

        // The open client holds the drain: not ready, still alive.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(metricsPort, readiness));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(metricsPort, liveness));
        Assert.DoesNotContain("stopped (SIGTERM)", server.Log, StringComparison.Ordinal);
        client.Socket.Shutdown(SocketShutdown.Send);
        await client.ReadToEndAsync(Timeout);
        Assert.Equal(0, await server.WaitForExitAsync(Timeout));
    }

    private static async Task AssertUdpEchoAsync(int port)
    {
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var cts = new CancellationTokenSource(Timeout);
        await udp.SendAsync("udp"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        UdpReceiveResult reply = await udp.ReceiveAsync(cts.Token);
        Assert.Equal("udp"u8.ToArray(), reply.Buffer);
    }

    private static async Task<HttpStatusCode> StatusAsync(int port, string path)
    {
        using var http = new HttpClient { Timeout = Timeout };
        using HttpResponseMessage response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}{path}"));
        return response.StatusCode;
    }

    private static Dictionary<string, string> Labels(JsonElement labels) =>
        labels.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);

    private static string ReplaceFirst(string text, string original, string replacement)
    {
        int at = text.IndexOf(original, StringComparison.Ordinal);
        return string.Concat(text.AsSpan(0, at), replacement, text.AsSpan(at + original.Length));
    }

    /// <summary>The three manifests as the validator's YAML parser reads them, once they pass the schemas.</summary>
    private sealed record Manifests(JsonElement Deployment, JsonElement Service, JsonElement Budget)
    {
        public JsonElement Container => Deployment.Path("spec", "template", "spec", "containers").EnumerateArray().Single();

        public static async Task<Manifests> LoadAsync()
        {
            CommandResult result = await DeployChecks.RunAsync("k8s-validate.mjs", ["--json", .. ManifestFiles]);
            Assert.True(result.ExitCode == 0, result.Stderr);
            using JsonDocument documents = JsonDocument.Parse(result.Stdout);
            JsonElement Kind(string kind) => documents.RootElement.EnumerateArray().Select(d => d.GetProperty("object")).Single(o => o.GetProperty("kind").GetString() == kind).Clone();
            return new Manifests(Kind("Deployment"), Kind("Service"), Kind("PodDisruptionBudget"));
        }

        public string Env(string name) =>
            Container.GetProperty("env").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name).GetProperty("value").GetString()!;

        /// <summary>The container port a probe or Service names, by number or by name (and protocol).</summary>
        public int ContainerPort(JsonElement port, string? protocol = "TCP")
        {
            if (port.ValueKind == JsonValueKind.Number)
            {
                return port.GetInt32();
            }

            return Container.GetProperty("ports").EnumerateArray()
                .Single(p => p.GetProperty("name").GetString() == port.GetString() && p.GetProperty("protocol").GetString() == protocol)
                .GetProperty("containerPort").GetInt32();
        }
    }
}
