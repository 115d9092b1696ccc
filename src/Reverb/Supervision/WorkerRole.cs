namespace Reverb.Supervision;

/// <summary>What a worker process does with the work its master sends.</summary>
internal enum WorkerRole
{
    /// <summary>Accepts on listening sockets its master hands down and multiplexes many clients (the workers model).</summary>
    Multiplex,
}
