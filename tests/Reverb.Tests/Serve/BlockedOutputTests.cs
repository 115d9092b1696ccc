using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Serve;

/// <summary>Logging never stalls serving: standard output is a pipe that nobody reads.</summary>
public sealed class BlockedOutputTests
{
    public static TheoryData<string> Models => new() { "process", "workers", "threads", "async" };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task With_stdout_never_read_5000_connections_later_a_client_still_gets_its_echo_within_1_s(string model)
    {
        int port = FreePort();
        ProcessStartInfo start = ReverbCommand.StartInfo(["serve", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--host", "127.0.0.1", .. ServerModels.Arguments(model)]);
        using var process = Process.Start(start)!;
        var dropNotice = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("dropped because of queue size limit", StringComparison.Ordinal) == true)
            {
                dropNotice.TrySetResult(e.Data);
            }
        };
        process.BeginErrorReadLine();
        try
        {
            // No log to wait on (it goes to the unread pipe): ready once the port answers.
            using var client = await ConnectWhenReadyAsync(port, process);
            Assert.Equal("first"u8.ToArray(), await client.RoundTripAsync("first"u8.ToArray()));

            // Two lines each (accepted, finished): far more than the pipe (64 kB) and the log queue hold.
            await Parallel.ForAsync(0, 5_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) =>
            {
                using var shortLived = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                using var cts = new CancellationTokenSource(EchoClient.Timeout);
                await shortLived.ConnectAsync(IPAddress.Loopback, port, cts.Token);
                await shortLived.SendAsync("x"u8.ToArray(), SocketFlags.None, cts.Token);
                byte[] one = new byte[1];
                Assert.Equal(1, await shortLived.ReceiveAsync(one, SocketFlags.None, cts.Token));
            });

            long started = Stopwatch.GetTimestamp();
            Assert.Equal("still"u8.ToArray(), await client.RoundTripAsync("still"u8.ToArray()));
            TimeSpan roundTrip = Stopwatch.GetElapsedTime(started);
            Assert.True(roundTrip < TimeSpan.FromSeconds(1), $"the round trip took {roundTrip.TotalSeconds:0.000} s");

            // Once the output is read again, the next line a process that dropped lines logs comes with a count
            // of those dropped (on stderr). In the workers model that is whichever worker the kernel gives the
            // next client to, so clients keep coming (bounded) until one of them carries the notice.
            Task draining = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
            var deadline = Stopwatch.StartNew();
            while (!dropNotice.Task.IsCompleted && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                using (var another = await EchoClient.ConnectToAsync(new IPEndPoint(IPAddress.Loopback, port)))
                {
                    await another.RoundTripAsync("z"u8.ToArray());
                }

                await Task.WhenAny(dropNotice.Task, Task.Delay(TimeSpan.FromSeconds(1)));
            }

            string notice = await dropNotice.Task.WaitAsync(TimeSpan.FromSeconds(1));
            Assert.Matches(@"\d+ message\(s\) dropped", notice);
        }
        finally
        {
            foreach (ProcessTable.Entry child in ProcessTable.DescendantsOf(process.Id))
            {
                Signals.Send(child.Pid, Signals.SIGKILL);
            }

            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static int FreePort()
    {
        using var probe = new TakenPort();
        return probe.Port;
    }

    private static async Task<EchoClient> ConnectWhenReadyAsync(int port, Process process)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await EchoClient.ConnectToAsync(new IPEndPoint(IPAddress.Loopback, port));
            }
            catch (SocketException) when (deadline.Elapsed < ReverbServer.StartTimeout && !process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }
}
