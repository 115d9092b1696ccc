using System.Net;

namespace Reverb.Proxy;

/// <summary>
/// What a PROXY protocol header said: the real client (Source) and the address it connected to.
/// Both are null for LOCAL (v2) and UNKNOWN (v1) headers, which a proxy sends for its own health checks.
/// </summary>
internal readonly record struct ProxyHeader(IPEndPoint? Source, IPEndPoint? Destination);
