using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Reverb.Bench;

/// <summary>
/// Chooses the local address each outgoing connection binds to. One source address has only as many
/// connections to a given server as there are ephemeral ports (~28k by default), so large idle runs and fast
/// churn runs (which leave TIME_WAIT behind) spread their connections over 127.0.0.2, 127.0.0.3, ...
/// This only works when the server is itself on loopback; otherwise the kernel picks the source.
/// </summary>
internal sealed class SourceAddressPlan
{
    /// <summary>Churn leaves a TIME_WAIT entry per connection; this many sources keeps it far from port exhaustion.</summary>
    public const int ChurnSources = 16;

    private const int FallbackEphemeralPorts = 28_000;
    private const string PortRangeFile = "/proc/sys/net/ipv4/ip_local_port_range";

    private readonly IPEndPoint[] _sources;

    private SourceAddressPlan(IPEndPoint[] sources)
    {
        _sources = sources;
    }

    public int SourceCount => _sources.Length;

    public static SourceAddressPlan For(BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!IsIPv4Loopback(settings.Target.Address))
        {
            return new SourceAddressPlan([]);
        }

        int count = settings.Workload switch
        {
            BenchWorkload.Churn => ChurnSources,
            BenchWorkload.Idle => SourcesForConnections(settings.Connections, EphemeralPortCount()),
            _ => 0,
        };
        var sources = new IPEndPoint[count];
        for (int i = 0; i < count; i++)
        {
            sources[i] = new IPEndPoint(IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"127.0.0.{2 + i}")), 0);
        }

        return new SourceAddressPlan(sources);
    }

    /// <summary>No extra sources while one address suffices; otherwise enough to stay at 80% of each one's ports.</summary>
    public static int SourcesForConnections(int connections, int ephemeralPorts)
    {
        int usablePerSource = Math.Max(1, ephemeralPorts * 4 / 5);
        if (connections <= usablePerSource)
        {
            return 0;
        }

        // 127.0.0.2 .. 127.0.0.254
        return Math.Min(253, (connections + usablePerSource - 1) / usablePerSource);
    }

    /// <summary>The local endpoint for a connection, or null to let the kernel choose.</summary>
    public IPEndPoint? SourceFor(int connectionIndex) =>
        _sources.Length == 0 ? null : _sources[connectionIndex % _sources.Length];

    private static bool IsIPv4Loopback(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork && address.GetAddressBytes()[0] == 127;

    private static int EphemeralPortCount()
    {
        try
        {
            string[] parts = File.ReadAllText(PortRangeFile).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2
                && int.TryParse(parts[0], CultureInfo.InvariantCulture, out int low)
                && int.TryParse(parts[1], CultureInfo.InvariantCulture, out int high)
                && high > low)
            {
                return high - low + 1;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return FallbackEphemeralPorts;
    }
}
