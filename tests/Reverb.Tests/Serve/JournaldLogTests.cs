using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Serve;

/// <summary>Under journald (JOURNAL_STREAM set by systemd), every line carries its syslog priority prefix.</summary>
public sealed class JournaldLogTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("process")]
    [InlineData("workers")]
    public async Task Lines_start_with_6_for_information_and_4_for_warnings(string model)
    {
        var journal = new Dictionary<string, string> { ["JOURNAL_STREAM"] = "8:123456" };
        await using var server = await ReverbServer.StartAsync(journal, "--model", model, "--max-conns-per-source", "1");
        using var first = await EchoClient.ConnectAsync(server);
        await first.RoundTripAsync("x"u8.ToArray());

        // A second connection from the same address is refused with a warning.
        using var second = await EchoClient.ConnectAsync(server);
        string refused = await server.WaitForLineAsync("refused 127.0.0.1:", Timeout);

        string listening = await server.WaitForLineAsync("listening on", Timeout);
        Assert.StartsWith("<6>reverb.master[6] listening on 127.0.0.1:", listening, StringComparison.Ordinal);
        Assert.StartsWith("<4>", refused, StringComparison.Ordinal);
        Assert.All(server.Lines.Where(l => l.Length > 0), l => Assert.Matches(@"^<[0-7]>", l));
    }

    [Fact]
    public async Task Without_JOURNAL_STREAM_lines_keep_their_timestamp_and_level_name()
    {
        await using var server = await ReverbServer.StartAsync("--model", "async");
        string listening = await server.WaitForLineAsync("listening on", Timeout);
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} info: reverb\.master\[6\] listening on", listening);
    }
}
