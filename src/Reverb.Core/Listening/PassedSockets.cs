using System.Net.Sockets;

namespace Reverb.Listening;

/// <summary>
/// The sockets a service manager passed (LISTEN_FDS), sorted by kind: listening TCP sockets for the
/// model (systemd's ListenStream=), and UDP sockets for the master's UDP echo (ListenDatagram=).
/// </summary>
internal sealed record PassedSockets(IReadOnlyList<Socket> Listeners, IReadOnlyList<Socket> Datagrams);
