using System.Diagnostics;
using System.Net;
using Reverb.Echo;

namespace Reverb.Serving;

/// <summary>One open client connection, as status and metrics see it.</summary>
internal sealed class LiveConnection
{
    public LiveConnection(long id, IPEndPoint? peer, string name)
    {
        Id = id;
        Peer = peer;
        Client = peer;
        Name = name;
        StartedTimestamp = Stopwatch.GetTimestamp();
        Since = DateTimeOffset.UtcNow;
    }

    public long Id { get; }

    /// <summary>The TCP peer (a proxy, behind one): what per-source limits count.</summary>
    public IPEndPoint? Peer { get; }

    /// <summary>The client as far as it is known: the real one once a PROXY header named it.</summary>
    public IPEndPoint? Client { get; set; }

    /// <summary>How logs name it: "REAL via PROXY" behind a proxy.</summary>
    public string Name { get; set; }

    public long StartedTimestamp { get; }

    public DateTimeOffset Since { get; }

    /// <summary>Written by the echo loop when it runs in this process.</summary>
    public EchoCounters Counters { get; } = new();
}
