using System.Net;
using Reverb.Echo;

namespace Reverb.Serving;

/// <summary>
/// The connections one process serves right now, and its running totals: what status and metrics
/// read. Opening and closing take a short lock; the bytes of an open connection are read from its
/// counters without one.
/// </summary>
internal sealed class ConnectionTable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, LiveConnection> _live = [];
    private long _lastId;
    private long _accepted;
    private long _rejectedPerSource;
    private long _rejectedProxyHeader;
    private long _closedBytesIn;
    private long _closedBytesOut;

    /// <param name="id">The connection's id; 0 numbers it here.</param>
    public LiveConnection Open(IPEndPoint? peer, string name, long id = 0)
    {
        lock (_gate)
        {
            var connection = new LiveConnection(id == 0 ? ++_lastId : id, peer, name);
            _live[connection.Id] = connection;
            _accepted++;
            return connection;
        }
    }

    /// <summary>A connection closed at once because its source already has as many as it may.</summary>
    public void RejectPerSource()
    {
        lock (_gate)
        {
            _accepted++;
            _rejectedPerSource++;
        }
    }

    /// <summary>A connection already counted as accepted was refused (behind a proxy, once its real client was known).</summary>
    public void CountRefusal()
    {
        lock (_gate)
        {
            _rejectedPerSource++;
        }
    }

    /// <summary>The connection has gone; its final byte counts join the totals.</summary>
    public void Close(LiveConnection connection, long bytesIn, long bytesOut, EchoEnd end)
    {
        lock (_gate)
        {
            if (!_live.Remove(connection.Id))
            {
                return;
            }

            _closedBytesIn += bytesIn;
            _closedBytesOut += bytesOut;
            if (end == EchoEnd.Rejected)
            {
                _rejectedProxyHeader++;
            }
        }
    }

    public IReadOnlyList<LiveConnection> Live()
    {
        lock (_gate)
        {
            return [.. _live.Values];
        }
    }

    /// <summary>The totals, with open connections' bytes so far as their counters show them.</summary>
    public ConnectionTotals Totals()
    {
        lock (_gate)
        {
            long bytesIn = _closedBytesIn;
            long bytesOut = _closedBytesOut;
            foreach (LiveConnection connection in _live.Values)
            {
                bytesIn += connection.Counters.BytesIn;
                bytesOut += connection.Counters.BytesOut;
            }

            return new ConnectionTotals(_accepted, _live.Count, _rejectedPerSource, _rejectedProxyHeader, bytesIn, bytesOut);
        }
    }
}
