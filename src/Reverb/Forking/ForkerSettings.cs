using System.Globalization;

namespace Reverb.Forking;

/// <summary>
/// Everything the forking process needs, written on its command line by the master and read back
/// by the forking process: one type for both directions, so the two cannot drift apart.
/// </summary>
/// <remarks>
/// Parsed by hand, not with System.CommandLine: the forking process must stay single-threaded, and
/// the command-line library's invocation registers signal handlers, which start the runtime's
/// signal-handling thread (see <see cref="ForkingProcess"/>).
/// </remarks>
internal sealed record ForkerSettings(
    int MasterPid,
    int Generation,
    int ChannelFd,
    int TableFd,
    int TableCapacity,
    IReadOnlyList<int> ListenFds,
    int MaxClients,
    int ClientsPerProcess,
    int MaxPerSource,
    int BufferSize,
    long IdleTimeoutMs,
    long DrainMs,
    long ProxyTimeoutMs,
    bool ProxyProtocol,
    bool LogChunks,
    bool LogJson,
    string TrustedProxies)
{
    /// <summary>The hidden first argument that selects the forking process's role.</summary>
    public const string Role = "forker";

    public IEnumerable<string> ToArguments()
    {
        yield return Role;
        foreach ((string name, string value) in Pairs())
        {
            yield return name;
            yield return value;
        }
    }

    public static ForkerSettings Parse(IReadOnlyList<string> arguments)
    {
        if (arguments.Count == 0 || arguments[0] != Role || arguments.Count % 2 != 1)
        {
            throw new FormatException("usage: reverb forker --name value ... (started by a reverb master only)");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 1; i < arguments.Count; i += 2)
        {
            values[arguments[i]] = arguments[i + 1];
        }

        int Int(string name) => int.Parse(Value(values, name), NumberStyles.Integer, CultureInfo.InvariantCulture);
        long Long(string name) => long.Parse(Value(values, name), NumberStyles.Integer, CultureInfo.InvariantCulture);
        bool Flag(string name) => Value(values, name) == "1";

        string listen = Value(values, "--listen-fds");
        return new ForkerSettings(
            Int("--master"),
            Int("--generation"),
            Int("--channel-fd"),
            Int("--table-fd"),
            Int("--table-capacity"),
            [.. listen.Split(',').Select(fd => int.Parse(fd, NumberStyles.Integer, CultureInfo.InvariantCulture))],
            Int("--max-clients"),
            Int("--clients-per-process"),
            Int("--max-per-source"),
            Int("--buffer-size"),
            Long("--idle-timeout-ms"),
            Long("--drain-ms"),
            Long("--proxy-timeout-ms"),
            Flag("--proxy-protocol"),
            Flag("--log-chunks"),
            Flag("--log-json"),
            Value(values, "--trusted-proxies"));
    }

    private IEnumerable<(string Name, string Value)> Pairs()
    {
        static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
        static string B(bool value) => value ? "1" : "0";
        yield return ("--master", N(MasterPid));
        yield return ("--generation", N(Generation));
        yield return ("--channel-fd", N(ChannelFd));
        yield return ("--table-fd", N(TableFd));
        yield return ("--table-capacity", N(TableCapacity));
        yield return ("--listen-fds", string.Join(',', ListenFds.Select(fd => N(fd))));
        yield return ("--max-clients", N(MaxClients));
        yield return ("--clients-per-process", N(ClientsPerProcess));
        yield return ("--max-per-source", N(MaxPerSource));
        yield return ("--buffer-size", N(BufferSize));
        yield return ("--idle-timeout-ms", N(IdleTimeoutMs));
        yield return ("--drain-ms", N(DrainMs));
        yield return ("--proxy-timeout-ms", N(ProxyTimeoutMs));
        yield return ("--proxy-protocol", B(ProxyProtocol));
        yield return ("--log-chunks", B(LogChunks));
        yield return ("--log-json", B(LogJson));
        yield return ("--trusted-proxies", TrustedProxies);
    }

    private static string Value(Dictionary<string, string> values, string name) =>
        values.TryGetValue(name, out string? value) ? value : throw new FormatException($"missing {name}");

    /// <summary>Record equality compares the list by reference; this compares the settings.</summary>
    public bool SameAs(ForkerSettings other) =>
        this with { ListenFds = Array.Empty<int>() } == other with { ListenFds = Array.Empty<int>() } && ListenFds.SequenceEqual(other.ListenFds);
}
