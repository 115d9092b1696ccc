using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using Reverb.Interop;

namespace Reverb.Bench;

/// <summary>
/// The idle workload: opens C connections (a bounded number of connects in flight), holds them silent for the
/// duration, then checks that an evenly spread sample of them still echoes correctly.
/// </summary>
internal sealed class IdleRun : IBenchRun
{
    /// <summary>Connects in flight at once; enough to be quick without flooding the server's accept backlog.</summary>
    private const int ConnectLanes = 64;

    /// <summary>Descriptors beyond the connections themselves: runtime, stdio, epoll and friends.</summary>
    private const int SpareDescriptors = 128;

    private readonly BenchSettings _settings;
    private readonly BenchClock _clock;
    private readonly WorkerContext[] _lanes;
    private readonly Socket?[] _sockets;
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private readonly Action<string> _warn;

    // Written only after all sample checks have finished, by the one task that tallies them.
    private readonly WorkerStats _sampleStats = new();
    private int _established;
    private volatile string _phase = "connecting";

    public IdleRun(BenchSettings settings, Action<string> warn)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _warn = warn;

        // Idle holds connections: warm-up does not apply; the duration is the hold time.
        _clock = new BenchClock(TimeSpan.Zero, settings.Duration);
        var connector = new Connector(settings, SourceAddressPlan.For(settings));
        _lanes = new WorkerContext[Math.Min(ConnectLanes, settings.Connections)];
        for (int i = 0; i < _lanes.Length; i++)
        {
            _lanes[i] = new WorkerContext(i, settings, _clock, connector);
        }

        _sockets = new Socket?[settings.Connections];
    }

    public ProgressSnapshot Sample() => new(
        _phase,
        (Stopwatch.GetTimestamp() - _startedAt) / (double)Stopwatch.Frequency,
        Totals(),
        Volatile.Read(ref _established));

    private BenchTotals Totals() => BenchTotals.Sum(_lanes.Select(l => l.Stats).Append(_sampleStats));

    public async Task<BenchResult> RunAsync(CancellationToken cancellationToken)
    {
        EnsureDescriptors();
        using var watchdogStop = new CancellationTokenSource();
        Task watchdog = Watchdog.RunAsync(_lanes, _settings.Timeout, watchdogStop.Token);
        try
        {
            await Task.WhenAll(_lanes.Select(lane => ConnectLaneAsync(lane, cancellationToken))).ConfigureAwait(false);

            _phase = "holding";
            _clock.Start();
            await Task.WhenAny(Task.Delay(_settings.Duration, cancellationToken)).ConfigureAwait(false);

            _phase = "checking a sample";
            Socket[] sample = ChooseSample();
            SampleCheck[] checks = await Task.WhenAll(sample.Select(CheckEchoAsync)).ConfigureAwait(false);
            foreach (var check in checks)
            {
                if (check.IsMismatch)
                {
                    _sampleStats.Mismatches++;
                }
                else if (check.Failure is { } failure)
                {
                    _sampleStats.RecordFailure(failure);
                }
            }

            double held = _clock.MeasuredSeconds();
            var outcome = new IdleOutcome(Volatile.Read(ref _established), sample.Length, checks.Count(c => c.IsEcho));
            return new BenchResult(_settings, held, Totals(), null, outcome);
        }
        finally
        {
            _clock.Stop();
            await watchdogStop.CancelAsync().ConfigureAwait(false);
            await watchdog.ConfigureAwait(false);
            foreach (var socket in _sockets)
            {
                socket?.Dispose();
            }
        }
    }

    private void EnsureDescriptors()
    {
        ulong wanted = (ulong)_settings.Connections + SpareDescriptors;
        ulong limit = DescriptorLimit.RaiseToHardLimit();
        if (limit != 0 && limit < wanted)
        {
            _warn($"the open-file limit is {limit}, below the {wanted} this run needs; some connects will fail (raise it with ulimit -n)");
        }
    }

    /// <summary>Lane k opens connections k, k+lanes, k+2*lanes, ... one after the other.</summary>
    private async Task ConnectLaneAsync(WorkerContext lane, CancellationToken cancellationToken)
    {
        for (int i = lane.Index; i < _sockets.Length && !cancellationToken.IsCancellationRequested; i += _lanes.Length)
        {
            try
            {
                _sockets[i] = await lane.Connector.ConnectAsync(i, lane.Watch).ConfigureAwait(false);
                Interlocked.Increment(ref _established);
            }
            catch (Exception ex) when (FailureClassifier.IsConnectionFailure(ex))
            {
                lane.RecordFailure(ex);
            }
            finally
            {
                lane.Watch.Detach();
            }
        }
    }

    /// <summary>Up to <see cref="BenchSettings.IdleSampleSize"/> established connections, spread evenly over all of them.</summary>
    private Socket[] ChooseSample()
    {
        Socket[] open = _sockets.OfType<Socket>().ToArray();
        int count = Math.Min(_settings.IdleSampleSize, open.Length);
        var sample = new Socket[count];
        for (int k = 0; k < count; k++)
        {
            sample[k] = open[(int)((long)k * open.Length / count)];
        }

        return sample;
    }

    /// <summary>Sends one message on a held connection and checks the echo; returns how that went.</summary>
    private async Task<SampleCheck> CheckEchoAsync(Socket socket, int sampleIndex)
    {
        var pattern = new PayloadPattern(_settings.Seed, sampleIndex, _settings.Size, 1, _settings.Text);
        var verifier = new EchoVerifier(pattern);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(_settings.Size);
        using var timeout = new CancellationTokenSource(_settings.Timeout);
        try
        {
            await socket.SendAsync(pattern.At(0, _settings.Size), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            var outcome = MessageOutcome.Incomplete;
            while (outcome == MessageOutcome.Incomplete)
            {
                int count = await socket.ReceiveAsync(
                    buffer.AsMemory(0, (int)(_settings.Size - verifier.Received)), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (count == 0)
                {
                    return SampleCheck.Failed(FailureKind.Closed);
                }

                verifier.Consume(buffer.AsSpan(0, count), out outcome);
            }

            return outcome == MessageOutcome.Match ? SampleCheck.Echoed : SampleCheck.Mismatched;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return SampleCheck.Failed(FailureKind.Timeout);
        }
        catch (Exception ex) when (FailureClassifier.IsConnectionFailure(ex))
        {
            return SampleCheck.Failed(FailureClassifier.Classify(ex));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The result of checking one held connection.</summary>
    private readonly record struct SampleCheck(bool IsEcho, bool IsMismatch, FailureKind? Failure)
    {
        public static SampleCheck Echoed => new(true, false, null);

        public static SampleCheck Mismatched => new(false, true, null);

        public static SampleCheck Failed(FailureKind kind) => new(false, false, kind);
    }
}
