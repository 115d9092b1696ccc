using System.Diagnostics;
using System.Net.Sockets;

namespace Reverb.Bench;

/// <summary>
/// One stream connection: a send loop writes <c>size</c>-byte chunks as fast as the server takes them while a
/// receive loop verifies the echo concurrently. Throughput is the echoed bytes received inside the window.
/// </summary>
internal sealed class StreamWorker
{
    private const int ReceiveBufferSize = 64 * 1024;

    // Enough distinct chunks that the ring is never shorter than a receive buffer.
    private const int MinimumRingBytes = 128 * 1024;

    private readonly WorkerContext _context;
    private readonly PayloadPattern _pattern;
    private readonly EchoVerifier _verifier;
    private readonly byte[] _receiveBuffer = new byte[ReceiveBufferSize];
    private long _sent;

    public StreamWorker(WorkerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        int size = context.Settings.Size;
        _pattern = new PayloadPattern(context.Settings.Seed, context.Index, size, RingSlots(size), context.Settings.Text);
        _verifier = new EchoVerifier(_pattern);
    }

    /// <summary>How many distinct chunks a connection's pattern holds.</summary>
    public static int RingSlots(int size) => Math.Max(2, (MinimumRingBytes + size - 1) / size);

    public Task RunAsync() => ConnectionLoop.RunAsync(_context, ExchangeAsync);

    private async Task ExchangeAsync(Socket socket)
    {
        _verifier.Reset();
        Volatile.Write(ref _sent, 0);
        Task sending = SendAsync(socket);
        try
        {
            await ReceiveAsync(socket, sending).ConfigureAwait(false);
        }
        finally
        {
            // Unblock the sender if the receiver failed, then surface the sender's own failure if it had one.
            if (!sending.IsCompleted)
            {
                socket.Dispose();
            }

            await sending.ConfigureAwait(false);
        }
    }

    private async Task SendAsync(Socket socket)
    {
        int size = _pattern.MessageSize;
        while (!_context.Clock.IsStopping)
        {
            int written = await socket.SendAsync(_pattern.At(Volatile.Read(ref _sent), size), SocketFlags.None).ConfigureAwait(false);
            Volatile.Write(ref _sent, _sent + written);
        }

        // Half-close: an echo server answers with the rest of the echo and then its own close,
        // which tells the receiver the stream is complete.
        socket.Shutdown(SocketShutdown.Send);
    }

    private async Task ReceiveAsync(Socket socket, Task sending)
    {
        byte[] receiveBuffer = _receiveBuffer;
        BenchClock clock = _context.Clock;
        WorkerStats stats = _context.Stats;
        ConnectionWatch watch = _context.Watch;
        while (true)
        {
            watch.BeginWait();
            int received = await socket.ReceiveAsync(receiveBuffer.AsMemory(0, ReceiveBufferSize), SocketFlags.None).ConfigureAwait(false);
            watch.EndWait();
            if (received == 0)
            {
                if (sending.IsCompleted && _verifier.Received >= Volatile.Read(ref _sent))
                {
                    return;
                }

                throw FailureClassifier.ClosedEarly();
            }

            if (clock.IsMeasuring(Stopwatch.GetTimestamp()))
            {
                stats.Bytes += received;
            }

            for (int offset = 0; offset < received;)
            {
                offset += _verifier.Consume(receiveBuffer.AsSpan(offset, received - offset), out MessageOutcome outcome);
                if (outcome == MessageOutcome.Mismatch)
                {
                    stats.Mismatches++;
                }
            }
        }
    }
}
