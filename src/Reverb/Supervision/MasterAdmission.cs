using System.Collections.Concurrent;
using System.Net;
using Reverb.Monitoring;
using Reverb.Protocol;
using Reverb.Serving;

namespace Reverb.Supervision;

/// <summary>
/// --max-conns-per-source inside a workers-model worker: a client may come to any worker, so only
/// the master can count per source. The worker asks it about each client right after the accept,
/// before echoing a byte, and tells it when an admitted client has gone.
/// </summary>
internal sealed class MasterAdmission : IConnectionAdmission
{
    private readonly WorkerChannel _channel;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<bool>> _pending = new();
    private long _lastId;
    private volatile bool _masterGone;

    public MasterAdmission(WorkerChannel channel, int max)
    {
        _channel = channel;
        Max = max;
    }

    public int Max { get; }

    public async ValueTask<bool> AdmitAsync(IPAddress source, CancellationToken cancellationToken)
    {
        if (_masterGone)
        {
            // No one left to count with: serve (the worker is finishing its last clients anyway).
            return true;
        }

        long id = Interlocked.Increment(ref _lastId);
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            if (!_channel.Send(new ChannelMessage.Admit(id, source)))
            {
                return true;
            }

            return await answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public void Release(IPAddress source)
    {
        if (!_masterGone)
        {
            _channel.Send(new ChannelMessage.Release(source));
        }
    }

    /// <summary>The master's answer to one Admit.</summary>
    public void Answer(ChannelMessage.Admitted admitted)
    {
        if (_pending.TryGetValue(admitted.RequestId, out TaskCompletionSource<bool>? answer))
        {
            answer.TrySetResult(admitted.Yes);
        }
    }

    /// <summary>The channel has closed: answer every waiting client yes.</summary>
    public void MasterGone()
    {
        _masterGone = true;
        foreach (TaskCompletionSource<bool> answer in _pending.Values)
        {
            answer.TrySetResult(true);
        }
    }
}
