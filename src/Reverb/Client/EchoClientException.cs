namespace Reverb.Client;

/// <summary>The echo client cannot go on: the server cannot be reached, closed early, or did not answer. The message is one line for the user; the command layer prints it without a stack trace.</summary>
internal sealed class EchoClientException : Exception
{
    public EchoClientException()
        : this("the echo client failed")
    {
    }

    public EchoClientException(string message)
        : base(message)
    {
    }

    public EchoClientException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
