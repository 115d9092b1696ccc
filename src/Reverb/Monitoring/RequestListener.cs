using System.Net.Sockets;

namespace Reverb.Monitoring;

/// <summary>
/// A listening socket whose every connection gets one answer from <c>answer</c> and is then
/// closed (the status socket, the metrics endpoint). Off the echo path: one task per request.
/// </summary>
internal sealed class RequestListener : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<Socket, CancellationToken, Task> _answer;
    private readonly TimeSpan _timeout;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="answer">Handles one connection; cancelled after <paramref name="timeout"/> or on dispose. Socket and I/O errors end only that request.</param>
    public RequestListener(Socket listener, TimeSpan timeout, Func<Socket, CancellationToken, Task> answer)
    {
        _listener = listener;
        _timeout = timeout;
        _answer = answer;
        _loop = AcceptAsync();
    }

    public System.Net.EndPoint LocalEndPoint => _listener.LocalEndPoint!;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                continue;
            }

            _ = AnswerAsync(client);
        }
    }

    private async Task AnswerAsync(Socket client)
    {
        using (client)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(_timeout);
            try
            {
                await _answer(client, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
            {
                // The asker went away or stalled: nothing left to tell it.
            }
        }
    }
}
