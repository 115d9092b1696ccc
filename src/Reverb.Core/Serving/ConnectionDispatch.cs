namespace Reverb.Serving;

/// <summary>Where an accepted connection runs inside one process.</summary>
internal enum ConnectionDispatch
{
    /// <summary>On the runtime's event loop (epoll); no thread per connection.</summary>
    EventLoop,

    /// <summary>On a thread of its own, with blocking socket calls.</summary>
    Thread,
}
