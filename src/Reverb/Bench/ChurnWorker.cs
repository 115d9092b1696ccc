using System.Diagnostics;
using System.Net.Sockets;

namespace Reverb.Bench;

/// <summary>
/// One churn loop: connect, send one message, read its full echo, close, and again. Latency is the whole cycle
/// from starting the connect to the last echoed byte.
/// </summary>
internal sealed class ChurnWorker
{
    private readonly WorkerContext _context;
    private readonly PayloadPattern _pattern;
    private readonly EchoVerifier _verifier;
    private readonly byte[] _receiveBuffer;

    public ChurnWorker(WorkerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        _pattern = new PayloadPattern(context.Settings.Seed, context.Index, context.Settings.Size, 2, context.Settings.Text);
        _verifier = new EchoVerifier(_pattern);
        _receiveBuffer = new byte[_pattern.MessageSize];
    }

    public Task RunAsync()
    {
        long cycle = 0;
        return ConnectionLoop.RepeatAsync(_context, () => CycleAsync(cycle++));
    }

    private async Task CycleAsync(long cycle)
    {
        byte[] receiveBuffer = _receiveBuffer;
        WorkerStats stats = _context.Stats;
        ConnectionWatch watch = _context.Watch;
        int size = _pattern.MessageSize;
        long started = Stopwatch.GetTimestamp();
        Socket socket = await _context.Connector.ConnectAsync(_context.Index, watch).ConfigureAwait(false);
        try
        {
            // Alternate between two different messages, so an echo left over from the previous cycle would not match.
            long messageOffset = cycle % 2 * size;
            _verifier.Reset(messageOffset);
            await socket.SendAsync(_pattern.At(messageOffset, size), SocketFlags.None).ConfigureAwait(false);

            var outcome = MessageOutcome.Incomplete;
            long received = 0;
            while (received < size)
            {
                watch.BeginWait();
                int count = await socket.ReceiveAsync(receiveBuffer.AsMemory(0, (int)(size - received)), SocketFlags.None).ConfigureAwait(false);
                watch.EndWait();
                if (count == 0)
                {
                    throw FailureClassifier.ClosedEarly();
                }

                received += count;
                _verifier.Consume(receiveBuffer.AsSpan(0, count), out outcome);
            }

            long now = Stopwatch.GetTimestamp();
            if (outcome == MessageOutcome.Mismatch)
            {
                stats.Mismatches++;
            }
            else if (_context.Clock.IsMeasuring(started) && _context.Clock.IsMeasuring(now))
            {
                stats.RoundTrips++;
                stats.Bytes += size;
                stats.RecordLatency(now - started);
            }
        }
        finally
        {
            watch.Detach();
            socket.Dispose();
        }
    }
}
