using Reverb.Forking;

namespace Reverb.Tests.Forking;

/// <summary>The forking process's settings are written and read by one type: what the master writes comes back whole.</summary>
public sealed class ForkerSettingsTests
{
    [Theory]
    [InlineData("", false)]
    [InlineData("10.0.0.0/8,2001:db8::/32", true)]
    public void Settings_survive_the_command_line(string trusted, bool flags)
    {
        var written = new ForkerSettings(
            MasterPid: 4242, Generation: 3, ChannelFd: 15, TableFd: 13, TableCapacity: 11024, ListenFds: [11, 12],
            MaxClients: 10_000, ClientsPerProcess: 100, MaxPerSource: 64, BufferSize: 65536, IdleTimeoutMs: 300_000,
            DrainMs: 5000, ProxyTimeoutMs: 10_000, ProxyProtocol: flags, LogChunks: flags, LogJson: !flags, TrustedProxies: trusted);

        ForkerSettings read = ForkerSettings.Parse([.. written.ToArguments()]);

        Assert.True(written.SameAs(read), $"{written} became {read}");
    }

    [Fact]
    public void A_command_line_that_is_not_the_masters_is_a_format_error()
    {
        Assert.Throws<FormatException>(() => ForkerSettings.Parse(["forker", "--master"]));
        Assert.Throws<FormatException>(() => ForkerSettings.Parse(["forker", "--master", "1"]));
        Assert.Throws<FormatException>(() => ForkerSettings.Parse(["serve"]));
    }
}
