using System.Globalization;
using Microsoft.Extensions.Logging;
using Reverb.Echo;
using Reverb.Logging;
using Reverb.Proxy;

namespace Reverb.Supervision;

/// <summary>
/// Everything a worker process needs, written on its command line by the master and read back by
/// the worker: one type for both directions, so the two cannot drift apart. The names are serve's
/// (--max-conns-per-source, --drain-timeout, ...), with durations in milliseconds ("5000ms") and
/// flags as true/false.
/// </summary>
/// <remarks>
/// Parsed by hand, like <see cref="Forking.ForkerSettings"/>: the line is internal and always
/// written by <see cref="ToArguments"/>, so a strict reader of name–value pairs is all it takes,
/// and a worker starts without building the command-line tree of every public command.
/// </remarks>
/// <param name="MaxPerSource">--max-conns-per-source (the worker asks the master about each client); 0: none.</param>
/// <param name="ProxyTimeout">--proxy-timeout; null: the default.</param>
/// <param name="TrustedProxies">--trusted-proxy ranges (empty: any peer's PROXY header is believed).</param>
/// <param name="MasterPid">The master that started the worker (set at launch).</param>
/// <param name="ChannelFd">The worker's end of its channel to the master (set at launch).</param>
internal sealed record WorkerSettings(
    WorkerRole Role,
    EchoOptions Echo,
    bool ProxyProtocol,
    int MaxClients,
    TimeSpan Drain,
    LogLevel LogLevel,
    LogFormat LogFormat,
    int MaxPerSource = 0,
    TimeSpan? ProxyTimeout = null,
    IReadOnlyList<CidrRange>? TrustedProxies = null,
    int MasterPid = 0,
    int ChannelFd = -1)
{
    /// <summary>The hidden first argument that selects the worker's role.</summary>
    public const string Command = "worker";

    private static readonly HashSet<string> Names =
    [
        "--master", "--channel-fd", "--role", "--buffer-size", "--idle-timeout", "--verbose", "--max-clients", "--drain-timeout",
        "--log-level", "--log-format", "--proxy-protocol", "--proxy-timeout", "--trusted-proxy", "--max-conns-per-source",
    ];

    public IEnumerable<string> ToArguments()
    {
        yield return Command;
        foreach ((string name, string value) in Pairs())
        {
            yield return name;
            yield return value;
        }
    }

    /// <exception cref="FormatException">Not a command line <see cref="ToArguments"/> wrote, with a message naming what is wrong.</exception>
    public static WorkerSettings Parse(IReadOnlyList<string> arguments)
    {
        if (arguments.Count == 0 || arguments[0] != Command || arguments.Count % 2 != 1)
        {
            throw new FormatException("usage: reverb worker --name value ... (started by a reverb master only)");
        }

        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (int i = 1; i < arguments.Count; i += 2)
        {
            if (!Names.Contains(arguments[i]))
            {
                throw new FormatException($"unknown option {arguments[i]}");
            }

            (values.TryGetValue(arguments[i], out List<string>? list) ? list : values[arguments[i]] = []).Add(arguments[i + 1]);
        }

        string One(string name) => values.TryGetValue(name, out List<string>? list)
            ? list.Count == 1 ? list[0] : throw new FormatException($"{name} given {list.Count} times")
            : throw new FormatException($"missing {name}");
        int Int(string name) => int.TryParse(One(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : throw new FormatException($"{name}: '{One(name)}' is not a number");
        bool Flag(string name) => bool.TryParse(One(name), out bool value) ? value : throw new FormatException($"{name}: '{One(name)}' is not true or false");
        TimeSpan Duration(string name) => ParseMilliseconds(name, One(name));
        T Enum<T>(string name)
            where T : struct, Enum =>
            System.Enum.TryParse(One(name), ignoreCase: true, out T value) && System.Enum.IsDefined(value) ? value : throw new FormatException($"{name}: '{One(name)}' is not one of {string.Join(", ", System.Enum.GetNames<T>())}");

        int masterPid = Int("--master");
        int channelFd = Int("--channel-fd");
        TimeSpan idle = Duration("--idle-timeout");
        return new WorkerSettings(
            Enum<WorkerRole>("--role"),
            new EchoOptions(Int("--buffer-size"), idle > TimeSpan.Zero ? idle : null, Flag("--verbose")),
            Flag("--proxy-protocol"),
            Int("--max-clients"),
            Duration("--drain-timeout"),
            Enum<LogLevel>("--log-level"),
            Enum<LogFormat>("--log-format"),
            Int("--max-conns-per-source"),
            values.ContainsKey("--proxy-timeout") ? Duration("--proxy-timeout") : null,
            [.. values.GetValueOrDefault("--trusted-proxy", []).Select(CidrRange.Parse)],
            masterPid,
            channelFd);
    }

    /// <summary>Record equality compares the list of ranges by reference; this compares the settings.</summary>
    public bool SameAs(WorkerSettings other) =>
        this with { TrustedProxies = null } == other with { TrustedProxies = null } && (TrustedProxies ?? []).SequenceEqual(other.TrustedProxies ?? []);

    private IEnumerable<(string Name, string Value)> Pairs()
    {
        static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
        static string B(bool value) => value ? "true" : "false";
        yield return ("--master", N(MasterPid));
        yield return ("--channel-fd", N(ChannelFd));
        yield return ("--role", Role.ToString().ToLowerInvariant());
        yield return ("--buffer-size", N(Echo.BufferSize));
        yield return ("--idle-timeout", Milliseconds(Echo.IdleTimeout ?? TimeSpan.Zero));
        yield return ("--verbose", B(Echo.LogChunks));
        yield return ("--max-clients", N(MaxClients));
        yield return ("--drain-timeout", Milliseconds(Drain));
        yield return ("--log-level", LogLevel.ToString());
        yield return ("--log-format", LogFormat.ToString().ToLowerInvariant());
        yield return ("--proxy-protocol", B(ProxyProtocol));
        if (ProxyTimeout is { } headerTimeout)
        {
            yield return ("--proxy-timeout", Milliseconds(headerTimeout));
        }

        foreach (CidrRange range in TrustedProxies ?? [])
        {
            yield return ("--trusted-proxy", range.ToString());
        }

        yield return ("--max-conns-per-source", N(MaxPerSource));
    }

    /// <summary>A duration as serve's options accept it, to the millisecond (negative: zero).</summary>
    private static string Milliseconds(TimeSpan duration) =>
        $"{Math.Max(duration.Ticks / TimeSpan.TicksPerMillisecond, 0).ToString(CultureInfo.InvariantCulture)}ms";

    private static TimeSpan ParseMilliseconds(string name, string text) =>
        text.EndsWith("ms", StringComparison.Ordinal)
            && long.TryParse(text.AsSpan(0, text.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out long ms)
            && ms <= TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMillisecond
            ? TimeSpan.FromTicks(ms * TimeSpan.TicksPerMillisecond)
            : throw new FormatException($"{name}: '{text}' is not a number of milliseconds such as 5000ms");
}
