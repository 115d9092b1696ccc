using System.Net;

namespace Reverb.Serving;

/// <summary>Decides whether a just-accepted connection may stay (--max-conns-per-source), and hears when it has gone.</summary>
internal interface IConnectionAdmission
{
    /// <summary>The most connections one source address may hold.</summary>
    int Max { get; }

    ValueTask<bool> AdmitAsync(IPAddress source, CancellationToken cancellationToken);

    /// <summary>Called once for every admitted connection when it closes.</summary>
    void Release(IPAddress source);
}
