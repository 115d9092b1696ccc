namespace Reverb.Supervision;

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
}
