using System.Diagnostics;
using System.Net.Sockets;

namespace Reverb.Bench;

/// <summary>
/// One pingpong connection: keeps <c>pipeline</c> messages in flight, sends the next one as soon as an echo is
/// complete, and records each message's round-trip latency. The send of the next messages is never awaited while
/// echoed bytes are still due, so a large message cannot deadlock against a server with backpressure.
/// All buffers are allocated once per worker; the message loop allocates nothing.
/// </summary>
internal sealed class PingpongWorker
{
    private const int MaxReceiveBuffer = 64 * 1024;

    private readonly WorkerContext _context;
    private readonly PayloadPattern _pattern;
    private readonly EchoVerifier _verifier;
    private readonly long[] _sendTimestamps;
    private readonly byte[] _receiveBuffer;
    private readonly int _pipeline;

    public PingpongWorker(WorkerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        _pipeline = context.Settings.Pipeline;

        // One slot more than the pipeline, so that each message differs from the one sent just before it.
        _pattern = new PayloadPattern(context.Settings.Seed, context.Index, context.Settings.Size, _pipeline + 1, context.Settings.Text);
        _verifier = new EchoVerifier(_pattern);
        _sendTimestamps = new long[_pipeline];
        _receiveBuffer = new byte[Math.Min(_pattern.Length, MaxReceiveBuffer)];
    }

    public Task RunAsync() => ConnectionLoop.RunAsync(_context, ExchangeAsync);

    private async Task ExchangeAsync(Socket socket)
    {
        byte[] receiveBuffer = _receiveBuffer;
        BenchClock clock = _context.Clock;
        WorkerStats stats = _context.Stats;
        ConnectionWatch watch = _context.Watch;
        int size = _pattern.MessageSize;

        _verifier.Reset();
        long sent = 0;          // bytes whose send has completed
        long stamped = 0;       // messages whose send time is recorded
        long completed = 0;     // messages fully echoed
        ValueTask<int> pendingSend = default;
        int pendingLength = 0;

        while (true)
        {
            if (pendingLength == 0)
            {
                // After the run stops no new messages are started; what is in flight is drained.
                long allowed = clock.IsStopping ? sent : (completed + _pipeline) * size;
                if (sent < allowed)
                {
                    pendingLength = (int)Math.Min(allowed - sent, _pattern.Length);
                    long now = Stopwatch.GetTimestamp();
                    for (; stamped * size < sent + pendingLength; stamped++)
                    {
                        _sendTimestamps[stamped % _pipeline] = now;
                    }

                    pendingSend = socket.SendAsync(_pattern.At(sent, pendingLength), SocketFlags.None);
                }
            }

            if (pendingLength != 0 && pendingSend.IsCompleted)
            {
                sent += pendingSend.GetAwaiter().GetResult();
                pendingLength = 0;
                continue;
            }

            long due = sent + pendingLength - _verifier.Received;
            if (due == 0)
            {
                if (pendingLength == 0)
                {
                    return; // stopping and fully drained
                }

                // Everything handed to the kernel has been echoed: the send is finishing; wait for it.
                sent += await pendingSend.ConfigureAwait(false);
                pendingLength = 0;
                continue;
            }

            watch.BeginWait();
            int received = await socket.ReceiveAsync(
                receiveBuffer.AsMemory(0, (int)Math.Min(due, receiveBuffer.Length)), SocketFlags.None).ConfigureAwait(false);
            watch.EndWait();
            if (received == 0)
            {
                throw FailureClassifier.ClosedEarly();
            }

            for (int offset = 0; offset < received;)
            {
                offset += _verifier.Consume(receiveBuffer.AsSpan(offset, received - offset), out MessageOutcome outcome);
                if (outcome == MessageOutcome.Incomplete)
                {
                    continue;
                }

                long now = Stopwatch.GetTimestamp();
                if (outcome == MessageOutcome.Mismatch)
                {
                    stats.Mismatches++;
                }
                else if (clock.IsMeasuring(now))
                {
                    stats.RoundTrips++;
                    stats.Bytes += size;
                    stats.RecordLatency(now - _sendTimestamps[completed % _pipeline]);
                }

                completed++;
            }
        }
    }
}
