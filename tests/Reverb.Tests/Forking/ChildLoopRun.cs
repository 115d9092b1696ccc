using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Reverb.Echo;
using Reverb.Forking;
using Reverb.Interop;
using Reverb.Net;

namespace Reverb.Tests.Forking;

/// <summary>
/// ChildEchoLoop.Run in this process on a dedicated thread, serving the server end of a real loopback
/// TCP connection, with that thread's allocation counter read around Run alone.
/// </summary>
internal sealed class ChildLoopRun : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly Socket _server;
    private readonly Thread _thread;
    private readonly ChildBuffers _buffers;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _threadId = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _allocated = -1;

    private unsafe ChildLoopRun(Socket client, Socket server, ChildEchoSettings settings, bool withSignals)
    {
        Client = client;
        _server = server;
        Slot = (ChildSlot*)NativeMemory.AllocZeroed((nuint)sizeof(ChildSlot));
        Slot->State = (int)ChildSlotState.Reserved;
        Slot->Peer = SlotAddress.From((IPEndPoint)server.RemoteEndPoint!);
        _buffers = new ChildBuffers(settings.BufferSize);
        _thread = new Thread(() => Serve(settings, withSignals)) { IsBackground = true, Name = "child loop under test" };
    }

    public Socket Client { get; }

    public unsafe ChildSlot* Slot { get; }

    /// <summary>Bytes the loop's thread allocated inside Run.</summary>
    public long Allocated => Volatile.Read(ref _allocated);

    public unsafe EchoEnd End => (EchoEnd)Volatile.Read(ref Slot->End);

    public unsafe long BytesIn => Volatile.Read(ref Slot->BytesIn);

    public unsafe long BytesOut => Volatile.Read(ref Slot->BytesOut);

    public unsafe int State => Volatile.Read(ref Slot->State);

    public unsafe int ProxyError => Volatile.Read(ref Slot->ProxyError);

    public unsafe SlotAddress ClientAddress => Slot->Client;

    public Task Done => _done.Task;

    /// <summary>The loop thread's id, for tgkill (with <c>withSignals</c>).</summary>
    public Task<int> ThreadId => _threadId.Task;

    public static async Task<ChildLoopRun> StartAsync(ChildEchoSettings settings, bool withSignals = false, AddressFamily family = AddressFamily.InterNetwork)
    {
        using var listener = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback, 0));
        listener.Listen();
        var client = new Socket(family, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(listener.LocalEndPoint!);
        Socket server = await listener.AcceptAsync();
        var run = new ChildLoopRun(client, server, settings, withSignals);
        run._thread.Start();
        return run;
    }

    public async Task WaitAsync()
    {
        await _done.Task.WaitAsync(Timeout);
    }

    public unsafe void Dispose()
    {
        Client.Dispose();
        if (_thread.Join(Timeout))
        {
            _server.Dispose();
            _buffers.Dispose();
            NativeMemory.Free(Slot);
        }
    }

    private unsafe void Serve(ChildEchoSettings settings, bool withSignals)
    {
        int signalFd = -1;
        try
        {
            ChildEchoLoop.WarmUp(settings, _buffers);
            if (withSignals)
            {
                signalFd = ThreadSignals.BlockOnThisThread(ThreadSignals.SIGTERM, ThreadSignals.SIGUSR1);
                Assert.True(signalFd >= 0, "could not block signals on the loop thread");
                _threadId.SetResult(ThreadSignals.CurrentThreadId());
            }

            int fd = (int)_server.SafeHandle.DangerousGetHandle();
            long before = GC.GetAllocatedBytesForCurrentThread();
            ChildEchoLoop.Run(fd, signalFd, Slot, settings, _buffers);
            long after = GC.GetAllocatedBytesForCurrentThread();
            Volatile.Write(ref _allocated, after - before);
            _done.SetResult();
        }
        catch (Exception ex)
        {
            _threadId.TrySetException(ex);
            _done.SetException(ex);
        }
        finally
        {
            if (signalFd >= 0)
            {
                Posix.close(signalFd);
            }
        }
    }
}
