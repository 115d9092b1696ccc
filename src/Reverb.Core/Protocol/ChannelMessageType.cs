namespace Reverb.Protocol;

/// <summary>What a message on the master–worker channel means.</summary>
internal enum ChannelMessageType : byte
{
    /// <summary>Worker → master: started and waiting for work. A = worker pid.</summary>
    Ready = 1,

    /// <summary>Master → worker: serve the attached connected socket. A = connection id.</summary>
    Serve = 2,

    /// <summary>Worker → master: the client has gone. A = connection id, B = bytes in, C = bytes out, Code = EchoEnd.</summary>
    Done = 3,

    /// <summary>Master → worker: accept on the attached listening socket, number A of B (the workers model).</summary>
    Listen = 4,

    /// <summary>Master → worker: stop; close connections still open after A milliseconds.</summary>
    Shutdown = 5,

    /// <summary>Master → worker: you are surplus or recycled; exit now (sent only to idle workers).</summary>
    Retire = 6,

    /// <summary>Worker → master: the PROXY header named the real client. A,B = IPv6 (or IPv4-mapped) address, Code = port, C = connection id.</summary>
    Client = 7,

    /// <summary>Master → worker: report your open connections and totals. A = request id; Code = 1: the totals alone.</summary>
    Query = 8,

    /// <summary>Worker → master: one open connection. A,B = client address, Code = port (-1: unknown), C = bytes in, D = bytes out, E = connected since (Unix ms), F = request id.</summary>
    Report = 9,

    /// <summary>Worker → master: totals, ending a report (F = request id; 0 unasked, as a worker exits). A = accepted, Code = active, B = rejected per source, C = rejected PROXY header, D = bytes in, E = bytes out.</summary>
    Totals = 10,

    /// <summary>Worker → master (workers model, --max-conns-per-source): may this just-accepted client stay? A,B = address, C = request id.</summary>
    Admit = 11,

    /// <summary>Master → worker: the answer to Admit. A = request id, Code = 1 yes, 0 no.</summary>
    Admitted = 12,

    /// <summary>Worker → master: an admitted client from address A,B has gone.</summary>
    Release = 13,
}
