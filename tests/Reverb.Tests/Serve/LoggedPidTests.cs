using System.Net.Sockets;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Serve;

/// <summary>
/// "(worker N)" in a client's accepted and finished lines names the process that serves it: the
/// forked child (process model), the worker (workers model), or the master itself, which serves on
/// its own threads or event loop (threads and async models).
/// </summary>
public sealed class LoggedPidTests
{
    private static readonly TimeSpan Wait = EchoClient.Timeout;

    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task The_pid_in_accepted_and_finished_is_the_serving_process_s(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model));
        int localPort;
        int accepted;
        using (var client = await EchoClient.ConnectAsync(server))
        {
            localPort = client.LocalPort;
            await client.RoundTripAsync("pid?"u8.ToArray());
            accepted = await server.WorkerServingAsync(localPort, Wait);

            // While the client is served, its process is there to look at.
            ProcessTable.Entry? serving = ProcessTable.TryRead(accepted);
            Assert.NotNull(serving);
            switch (model)
            {
                case "process":
                    // A child of the forking process, which is the master's child.
                    Assert.NotEqual(server.Pid, accepted);
                    Assert.Contains(server.Children(), c => c.Pid == serving.ParentPid);
                    break;
                case "workers":
                    Assert.Equal(server.Pid, serving.ParentPid);
                    break;
                default:
                    Assert.Equal(server.Pid, accepted);
                    break;
            }

            client.Socket.Shutdown(SocketShutdown.Send);
            await client.ReadToEndAsync(Wait);
        }

        string finished = await server.WaitForLineAsync($"finished 127.0.0.1:{localPort} (worker ", Wait);
        Assert.Equal(accepted, ReverbServer.WorkerPidIn(finished));
    }
}
