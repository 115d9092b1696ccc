namespace Reverb.Listening;

/// <summary>
/// The server cannot start as configured: an address it cannot listen on, a socket passed to it that it
/// cannot serve, a port already taken. The message is one line for the operator; the command layer
/// prints it without a stack trace.
/// </summary>
internal sealed class ServerStartException : Exception
{
    public ServerStartException()
        : this("the server cannot start")
    {
    }

    public ServerStartException(string message)
        : base(message)
    {
    }

    public ServerStartException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
