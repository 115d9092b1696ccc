using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Reverb.Hosting;
using Reverb.Listening;
using Reverb.Serving;

namespace Reverb.Monitoring;

/// <summary>
/// A listening socket whose every connection gets one answer from <c>answer</c> and is then
/// closed (the status socket, the metrics endpoint). Off the echo path: one task per request, at
/// most <c>maxConcurrent</c> at once (beyond that, askers wait in the listen queue, holding none of
/// this process's descriptors), each bounded in time, so idle or stalled askers cannot use up the
/// server's descriptors or a core.
/// </summary>
internal sealed class RequestListener : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<Socket, CancellationToken, Task> _answer;
    private readonly TimeSpan _timeout;
    private readonly int _maxConcurrent;
    private readonly SemaphoreSlim _slots;
    private readonly ILogger _logger;
    private readonly LogThrottle _acceptFailures = new(TimeSpan.FromSeconds(10));
    private readonly LogThrottle _answerFailures = new(TimeSpan.FromSeconds(10));
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly System.Net.EndPoint _endpoint;

    /// <param name="maxConcurrent">Connections held at once; the next is accepted when one has been answered.</param>
    /// <param name="answer">Handles one connection; cancelled after <paramref name="timeout"/> (so an asker that sends nothing is closed then) or on dispose. Socket and I/O errors end only that request.</param>
    public RequestListener(Socket listener, int maxConcurrent, TimeSpan timeout, Func<Socket, CancellationToken, Task> answer, ILogger logger)
    {
        _listener = listener;
        _maxConcurrent = maxConcurrent;
        _slots = new SemaphoreSlim(maxConcurrent, maxConcurrent);
        _timeout = timeout;
        _answer = answer;
        _logger = logger;
        _endpoint = listener.LocalEndPoint!;
        _loop = AcceptAsync();
    }

    public System.Net.EndPoint LocalEndPoint => _endpoint;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _loop.ConfigureAwait(false);

        // Every slot back means every answer has finished (they were cancelled with _stop).
        for (int i = 0; i < _maxConcurrent; i++)
        {
            await _slots.WaitAsync().ConfigureAwait(false);
        }

        _slots.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                await _slots.WaitAsync(_stop.Token).ConfigureAwait(false);
                if (await ListenerAccept.AcceptIntoSlotAsync(_listener, _slots, _acceptFailures, _logger, _stop.Token).ConfigureAwait(false) is { } client)
                {
                    // Owned by its slot (DisposeAsync waits for every slot back), and it never faults
                    // (AnswerAsync catches and logs every failure): nothing to keep but the count.
                    _ = AnswerAsync(client);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException && _stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            MonitoringLog.AnsweringStopped(_logger, _endpoint, ex.Message);
        }
    }

    private async Task AnswerAsync(Socket client)
    {
        try
        {
            using (client)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(_timeout);
                await _answer(client, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
            // The asker went away or stalled: nothing left to tell it.
        }
        catch (Exception ex)
        {
            // Not the asker's doing (the answer itself failed): say so, at a bounded rate, and keep answering.
            if (_answerFailures.Allow(out long held))
            {
                MonitoringLog.AnswerFailed(_logger, _endpoint, ex.Message, LogThrottle.More(held));
            }
        }
        finally
        {
            _slots.Release();
        }
    }
}
