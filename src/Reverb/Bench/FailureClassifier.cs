using System.Net.Sockets;

namespace Reverb.Bench;

/// <summary>Maps the exceptions socket operations throw onto the counted failure kinds.</summary>
internal static class FailureClassifier
{
    public static FailureKind Classify(Exception exception) => exception switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => FailureKind.Refused,
        SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown }
            => FailureKind.Reset,
        SocketException { SocketErrorCode: SocketError.TimedOut } => FailureKind.Timeout,
        EndOfStreamException => FailureKind.Closed,
        _ => FailureKind.Other,
    };

    /// <summary>The exceptions a socket operation on a failing or aborted connection can throw.</summary>
    public static bool IsConnectionFailure(Exception exception) =>
        exception is SocketException or ObjectDisposedException or IOException or OperationCanceledException;

    /// <summary>Thrown by a worker when the server closes a connection that still owes it an echo.</summary>
    public static EndOfStreamException ClosedEarly() => new("the server closed the connection before echoing everything");
}
