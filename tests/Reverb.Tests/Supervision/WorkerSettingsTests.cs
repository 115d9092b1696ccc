using CsCheck;
using Microsoft.Extensions.Logging;
using Reverb.Echo;
using Reverb.Logging;
using Reverb.Proxy;
using Reverb.Supervision;

namespace Reverb.Tests.Supervision;

/// <summary>A worker's settings are written and read by one type: what the master writes comes back whole, and a line it did not write is a format error.</summary>
public sealed class WorkerSettingsTests
{
    private static readonly Gen<TimeSpan> Milliseconds = Gen.Long[0, 10_000_000_000].Select(ms => TimeSpan.FromTicks(ms * TimeSpan.TicksPerMillisecond));

    /// <summary>An IPv4 or IPv6 network: the address's bits past the prefix cleared, as a range must have them.</summary>
    private static readonly Gen<CidrRange> Range = Gen.OneOf(Gen.Const(4), Gen.Const(16))
        .SelectMany(length => Gen.Select(Gen.Byte.Array[length], Gen.Int[0, length * 8]))
        .Select(r =>
        {
            for (int bit = r.Item2; bit < r.Item1.Length * 8; bit++)
            {
                r.Item1[bit / 8] &= (byte)~(0x80 >> (bit % 8));
            }

            return CidrRange.Parse($"{new System.Net.IPAddress(r.Item1)}/{r.Item2}");
        });

    private static readonly Gen<WorkerSettings> AnySettings =
        Gen.Select(
                Gen.Select(Gen.Int[1, int.MaxValue], Gen.Frequency((1, Gen.Const((TimeSpan?)null)), (3, Milliseconds.Where(t => t > TimeSpan.Zero).Select(t => (TimeSpan?)t))), Gen.Bool)
                    .Select(e => new EchoOptions(e.Item1, e.Item2, e.Item3)),
                Gen.Bool,
                Gen.Int[1, int.MaxValue],
                Milliseconds,
                Gen.Enum<LogLevel>(),
                Gen.Enum<LogFormat>(),
                Gen.Int[0, int.MaxValue],
                Gen.Frequency((1, Gen.Const((TimeSpan?)null)), (3, Milliseconds.Select(t => (TimeSpan?)t))))
            .SelectMany(s => Gen.Select(Range.Array[0, 4], Gen.Int[1, int.MaxValue], Gen.Int[0, int.MaxValue]).Select(rest => new WorkerSettings(
                WorkerRole.Multiplex, s.Item1, s.Item2, s.Item3, s.Item4, s.Item5, s.Item6, s.Item7, s.Item8, rest.Item1, rest.Item2, rest.Item3)));

    [Fact]
    public void Property_settings_survive_the_command_line()
    {
        AnySettings.Sample(written =>
        {
            WorkerSettings read = WorkerSettings.Parse([.. written.ToArguments()]);
            Assert.True(written.SameAs(read), $"{written} became {read}");
        });
    }

    [Fact]
    public void The_line_uses_serves_option_names()
    {
        var settings = new WorkerSettings(
            WorkerRole.Multiplex, new EchoOptions(4096, TimeSpan.FromMinutes(5), LogChunks: true), ProxyProtocol: true, MaxClients: 100, Drain: TimeSpan.FromSeconds(5),
            LogLevel.Debug, LogFormat.Json, MaxPerSource: 3, ProxyTimeout: TimeSpan.FromMilliseconds(1500), TrustedProxies: [CidrRange.Parse("10.0.0.0/8")], MasterPid: 42, ChannelFd: 7);

        Assert.Equal(
            "worker --master 42 --channel-fd 7 --role multiplex --buffer-size 4096 --idle-timeout 300000ms --verbose true --max-clients 100 --drain-timeout 5000ms " +
            "--log-level Debug --log-format json --proxy-protocol true --proxy-timeout 1500ms --trusted-proxy 10.0.0.0/8 --max-conns-per-source 3",
            string.Join(' ', settings.ToArguments()));
    }

    [Theory]
    [InlineData("serve", "usage: reverb worker --name value ... (started by a reverb master only)")]
    [InlineData("worker --master", "usage: reverb worker --name value ... (started by a reverb master only)")]
    [InlineData("worker --master 1", "missing --channel-fd")]
    [InlineData("worker --max-per-source 1", "unknown option --max-per-source")]
    [InlineData("worker --drain-ms 1", "unknown option --drain-ms")]
    [InlineData("worker --master x", "--master: 'x' is not a number")]
    [InlineData("worker --master 1 --master 2", "--master given 2 times")]
    public void A_line_the_master_did_not_write_is_a_format_error(string line, string message)
    {
        FormatException error = Assert.Throws<FormatException>(() => WorkerSettings.Parse(line.Split(' ')));
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("--drain-timeout", "5s", "--drain-timeout: '5s' is not a number of milliseconds such as 5000ms")]
    [InlineData("--drain-timeout", "-1ms", "--drain-timeout: '-1ms' is not a number of milliseconds such as 5000ms")]
    [InlineData("--verbose", "1", "--verbose: '1' is not true or false")]
    [InlineData("--log-format", "xml", "--log-format: 'xml' is not one of Text, Json")]
    [InlineData("--role", "9", "--role: '9' is not one of Multiplex")]
    public void A_value_out_of_form_is_named(string name, string value, string message)
    {
        var good = new WorkerSettings(WorkerRole.Multiplex, EchoOptions.Default, false, 1, TimeSpan.Zero, LogLevel.Information, LogFormat.Text);
        string[] line = [.. good.ToArguments()];
        line[Array.IndexOf(line, name) + 1] = value;
        FormatException error = Assert.Throws<FormatException>(() => WorkerSettings.Parse(line));
        Assert.Equal(message, error.Message);
    }
}
