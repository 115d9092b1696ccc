using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Serve;

/// <summary>The workers model's master when a worker misbehaves: one that stops reading its channel, one that cannot be started.</summary>
public sealed partial class WorkerSupervisionTests
{
    private const int SIGSTOP = 19;
    private const int SIGCONT = 18;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_stopped_worker_whose_channel_fills_never_hangs_the_master_or_its_SIGTERM(bool waitForTheVerdict)
    {
        // The test hook makes each channel hold about six messages (the kernel's minimum buffer) rather than about 280.
        await using var server = await ReverbServer.StartAsync(
            new Dictionary<string, string> { ["REVERB_TEST_CHANNEL_SEND_BUFFER"] = "1" },
            "--model", "workers", "--workers", "2", "--metrics", "127.0.0.1:0", "--drain-timeout", "2s");
        int metricsPort = int.Parse(MetricsPort().Match(await server.WaitForLineAsync("metrics on http://", EchoClient.Timeout)).Groups[1].Value, CultureInfo.InvariantCulture);
        int stopped = server.Children()[0].Pid;
        Signals.Send(stopped, SIGSTOP);
        try
        {
            // Every scrape asks each worker for a report; the stopped one reads nothing, so its channel
            // fills after a few. No scrape may hang on it.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            for (int i = 0; i < 30 && !server.Lines.Any(l => l.Contains("not answering", StringComparison.Ordinal)); i++)
            {
                await http.GetStringAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));
                if (!waitForTheVerdict && i == 5)
                {
                    // The channel is (nearly) full now: stop at once, whatever was decided about it.
                    break;
                }
            }

            if (waitForTheVerdict)
            {
                string line = await server.WaitForLineAsync($"worker {stopped} not answering", EchoClient.Timeout);
                Assert.Contains("killing it so that it is replaced", line, StringComparison.Ordinal);
                await Eventually.AssertAsync(() => server.Children().Count == 2 && server.Children().All(c => c.Pid != stopped), EchoClient.Timeout, "the stopped worker is replaced");
                using var client = await EchoClient.ConnectAsync(server);
                Assert.Equal("alive"u8.ToArray(), await client.RoundTripAsync("alive"u8.ToArray()));
            }

            var clock = Stopwatch.StartNew();
            server.Signal(Signals.SIGTERM);
            Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(2 + 3 + 10)));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2 + 3 + 5), $"stopped in {clock.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            Signals.Send(stopped, SIGCONT);
        }
    }

    [Fact]
    public async Task A_worker_that_cannot_be_started_is_retried_with_growing_delays_and_serving_resumes()
    {
        using var copy = ReverbCopy.Create();
        ProcessStartInfo start = copy.StartInfo(["serve", "0", "--host", "127.0.0.1", "--model", "workers", "--workers", "2"]);
        await using var server = await ReverbServer.StartFromAsync(start);
        int victim = server.Children()[0].Pid;

        copy.Break();
        Signals.Send(victim, Signals.SIGKILL);
        await server.WaitForLineAsync("failed starts in a row", EchoClient.Timeout, skip: 1);

        // Four seconds of a worker that cannot start: a handful of attempts logged, not one per attempt.
        // (Without a delay, a JIT worker that dies at start would be retried many times a second.)
        int before = RetryLines(server).Count;
        double cpuBefore = CpuSeconds(server.Pid);
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.InRange(RetryLines(server).Count - before, 0, 4);
        Assert.True(CpuSeconds(server.Pid) - cpuBefore < 2, "the master must not spin while it waits to retry");

        // Each logged retry waits longer than the one before.
        double[] delays = [.. RetryLines(server).Select(l => double.Parse(RetryDelay().Match(l).Groups[1].Value, CultureInfo.InvariantCulture))];
        Assert.True(delays.Length >= 2 && delays.Zip(delays.Skip(1)).All(p => p.Second > p.First), server.Log);

        // Launching works again: a replacement starts within the current delay, and clients are served by both workers' queues.
        copy.Repair();
        await Eventually.AssertAsync(() => server.Children().Count == 2 && server.Children().All(c => c.Pid != victim), TimeSpan.FromSeconds(30), "a replacement worker runs");
        for (int i = 0; i < 16; i++)
        {
            using var client = await EchoClient.ConnectAsync(server);
            Assert.Equal("back"u8.ToArray(), await client.RoundTripAsync("back"u8.ToArray()));
        }
    }

    private static List<string> RetryLines(ReverbServer server) => [.. server.Lines.Where(l => l.Contains("failed starts in a row", StringComparison.Ordinal))];

    /// <summary>User plus system CPU time of a process so far (/proc/PID/stat, in clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    [GeneratedRegex(@"retrying in ([0-9.]+) s")]
    private static partial Regex RetryDelay();

    [GeneratedRegex(@"metrics on http://\S+:(\d+)/metrics")]
    private static partial Regex MetricsPort();

    /// <summary>
    /// A copy of reverb in a temporary directory, which can be made unstartable and repaired: the
    /// NativeAOT binary (REVERB_EXE) loses its execute bits; under the JIT (dotnet reverb.dll, where
    /// execute bits do not matter) reverb.dll is moved aside, so a worker's dotnet host dies at start.
    /// The rest of the build output is linked, not copied.
    /// </summary>
    private sealed class ReverbCopy : IDisposable
    {
        private readonly string _directory;
        private readonly string _program;
        private readonly bool _native;

        private ReverbCopy(string directory, string program, bool native)
        {
            _directory = directory;
            _program = program;
            _native = native;
        }

        public static ReverbCopy Create()
        {
            string directory = Directory.CreateTempSubdirectory("reverb-copy-").FullName;
            string? native = Environment.GetEnvironmentVariable("REVERB_EXE");
            if (!string.IsNullOrEmpty(native))
            {
                string binary = Path.Combine(directory, "reverb");
                File.Copy(native, binary);
                return new ReverbCopy(directory, binary, native: true);
            }

            foreach (string entry in Directory.EnumerateFileSystemEntries(AppContext.BaseDirectory))
            {
                string target = Path.Combine(directory, Path.GetFileName(entry));
                if (Path.GetFileName(entry) == "reverb.dll")
                {
                    File.Copy(entry, target);
                }
                else
                {
                    File.CreateSymbolicLink(target, entry);
                }
            }

            return new ReverbCopy(directory, Path.Combine(directory, "reverb.dll"), native: false);
        }

        public ProcessStartInfo StartInfo(string[] arguments)
        {
            ProcessStartInfo start = ReverbCommand.StartInfo(arguments);
            if (_native)
            {
                start.FileName = _program;
            }
            else
            {
                start.ArgumentList[0] = _program;
            }

            return start;
        }

        public void Break()
        {
            if (_native)
            {
                File.SetUnixFileMode(_program, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            else
            {
                File.Move(_program, _program + ".aside");
            }
        }

        public void Repair()
        {
            if (_native)
            {
                File.SetUnixFileMode(_program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            else
            {
                File.Move(_program + ".aside", _program);
            }
        }

        public void Dispose() => Directory.Delete(_directory, recursive: true);
    }
}
