using System.Net.Sockets;
using Reverb.Hosting;
using Reverb.Listening;

namespace Reverb.Tests.Hosting;

/// <summary>Which accept(2) failures end an accept loop: only a listener that is closed or no socket.</summary>
public sealed class ListenerAcceptTests
{
    // Linux errno values .NET reports as SocketError.SocketError (it has no name for them).
    private const int ENONET = 64;
    private const int EPROTO = 71;
    private const int EHOSTDOWN = 112;

    public static TheoryData<SocketError, int> Retryable => new()
    {
        { SocketError.NetworkDown, 100 },          // ENETDOWN
        { SocketError.SocketError, EPROTO },
        { SocketError.ProtocolOption, 92 },        // ENOPROTOOPT
        { SocketError.SocketError, EHOSTDOWN },
        { SocketError.HostDown, EHOSTDOWN },
        { SocketError.SocketError, ENONET },
        { SocketError.HostUnreachable, 113 },      // EHOSTUNREACH
        { SocketError.OperationNotSupported, 95 }, // EOPNOTSUPP
        { SocketError.NetworkUnreachable, 101 },   // ENETUNREACH
        { SocketError.AccessDenied, 1 },           // EPERM (a firewall rule)
        { SocketError.ConnectionAborted, 103 },    // ECONNABORTED
        { SocketError.Interrupted, 4 },            // EINTR
    };

    [Theory]
    [MemberData(nameof(Retryable))]
    public void Errors_accept_documents_as_retryable_never_end_the_loop(SocketError error, int errno) =>
        Assert.Equal(AcceptFailure.Retry, ListenerAccept.Classify(error, errno));

    [Theory]
    [InlineData(SocketError.TooManyOpenSockets, 24)]     // EMFILE, and ENFILE
    [InlineData(SocketError.NoBufferSpaceAvailable, 105)] // ENOBUFS
    [InlineData(SocketError.SocketError, 12)]            // ENOMEM, or anything else unnamed
    public void Running_out_of_resources_backs_off_and_goes_on(SocketError error, int errno) =>
        Assert.Equal(AcceptFailure.Backoff, ListenerAccept.Classify(error, errno));

    [Theory]
    [InlineData(SocketError.OperationAborted, 9)] // EBADF: the listener was closed
    [InlineData(SocketError.InvalidArgument, 22)] // EINVAL: not listening
    [InlineData(SocketError.NotSocket, 88)]
    public void Only_a_broken_listener_ends_the_loop(SocketError error, int errno) =>
        Assert.Equal(AcceptFailure.Fatal, ListenerAccept.Classify(error, errno));

    [Fact]
    public void A_SocketException_carries_the_errno_the_classification_reads()
    {
        // Connecting to a closed port fails with ECONNREFUSED (111): NativeErrorCode is the raw errno.
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var closed = new Infrastructure.TakenPort();
        int port = closed.Port;
        closed.Dispose();
        SocketException ex = Assert.Throws<SocketException>(() => probe.Connect(System.Net.IPAddress.Loopback, port));
        Assert.Equal(SocketError.ConnectionRefused, ex.SocketErrorCode);
        Assert.Equal(111, ex.NativeErrorCode);
    }
}
