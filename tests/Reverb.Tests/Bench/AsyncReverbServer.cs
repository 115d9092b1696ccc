using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Bench;

/// <summary>
/// One real <c>reverb serve --model async</c> shared by the tests of a class, so each test does not pay for a
/// server start. The load tester must work against any echo server; the real one is what it is tested on.
/// </summary>
public sealed class AsyncReverbServer : IAsyncLifetime
{
    private ReverbServer? _server;

    public ReverbServer Server => _server ?? throw new InvalidOperationException("the server has not started");

    public async Task InitializeAsync() => _server = await ReverbServer.StartAsync("--model", "async");

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
