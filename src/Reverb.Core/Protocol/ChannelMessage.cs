using System.Net;
using Reverb.Serving;

namespace Reverb.Protocol;

/// <summary>A message on the master–worker channel: one record per kind (<see cref="ChannelMessage"/>), framed only by <see cref="ChannelCodec"/>.</summary>
internal interface IChannelMessage;

/// <summary>A message only the master sends (a worker receives it).</summary>
internal interface IMasterMessage : IChannelMessage;

/// <summary>A message only a worker sends (the master receives it).</summary>
internal interface IWorkerMessage : IChannelMessage;

/// <summary>The kinds of message between master and worker, each with named fields. Receivers switch on the type.</summary>
internal static class ChannelMessage
{
    /// <summary>Worker → master: started, holding its listeners, accepting.</summary>
    public readonly record struct Ready(int Pid) : IWorkerMessage;

    /// <summary>Master → worker: accept on the attached listening socket, number <paramref name="Index"/> of <paramref name="Count"/>.</summary>
    public readonly record struct Listen(int Index, int Count) : IMasterMessage;

    /// <summary>Master → worker: stop accepting; close connections still open after <paramref name="Drain"/> (whole milliseconds on the wire).</summary>
    public readonly record struct Shutdown(TimeSpan Drain) : IMasterMessage;

    /// <summary>Master → worker: you are surplus or outdated; exit now.</summary>
    public readonly record struct Retire : IMasterMessage;

    /// <summary>Master → worker: report your open connections (one <see cref="Report"/> each, unless <paramref name="TotalsOnly"/>), then your <see cref="Totals"/>.</summary>
    public readonly record struct Query(long RequestId, bool TotalsOnly = false) : IMasterMessage;

    /// <summary>Worker → master: one open connection; <paramref name="Client"/> is null when unknown (a proxy's health check). <paramref name="Since"/> has millisecond precision on the wire.</summary>
    public readonly record struct Report(long RequestId, IPEndPoint? Client, long BytesIn, long BytesOut, DateTimeOffset Since) : IWorkerMessage
    {
        public static Report Of(long requestId, LiveConnection connection) =>
            new(requestId, connection.Client, connection.Counters.BytesIn, connection.Counters.BytesOut, connection.Since);
    }

    /// <summary>Worker → master: its totals, ending a report; <paramref name="RequestId"/> 0 when unasked (as a worker exits). Active travels as a 32-bit figure.</summary>
    public readonly record struct Totals(long RequestId, ConnectionTotals Figures) : IWorkerMessage;

    /// <summary>Worker → master (--max-conns-per-source in the workers model): may this just-accepted client stay?</summary>
    public readonly record struct Admit(long RequestId, IPAddress Source) : IWorkerMessage;

    /// <summary>Master → worker: the answer to an <see cref="Admit"/>.</summary>
    public readonly record struct Admitted(long RequestId, bool Yes) : IMasterMessage;

    /// <summary>Worker → master: an admitted client from <paramref name="Source"/> has gone.</summary>
    public readonly record struct Release(IPAddress Source) : IWorkerMessage;
}
