namespace Reverb.Proxy;

/// <summary>A connection's PROXY protocol header was missing, malformed or too slow to arrive.</summary>
internal sealed class ProxyProtocolException : Exception
{
    public ProxyProtocolException()
    {
    }

    public ProxyProtocolException(string message)
        : base(message)
    {
    }

    public ProxyProtocolException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
