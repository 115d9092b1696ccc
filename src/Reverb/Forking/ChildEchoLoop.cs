using System.Runtime.InteropServices;
using Reverb.Echo;
using Reverb.Interop;
using Reverb.Net;
using Reverb.Proxy;

namespace Reverb.Forking;

/// <summary>
/// The echo loop of a forked child: one client, raw file descriptors, libc through P/Invoke.
/// </summary>
/// <remarks>
/// Runs in a forked child, so it is allocation-free and throws nothing: the child is a copy of one
/// thread of a process that had others, and a GC there would wait forever for threads that do not
/// exist. So no Socket, SafeHandle, ILogger, Console or string: native buffers made before fork
/// (<see cref="ChildBuffers"/>), spans, structs, and <see cref="WarmUp"/> before the first fork so
/// that under the JIT every method here is compiled and every P/Invoke bound.
/// The behaviour is EchoConnection's: every byte back, read again only once the previous chunk has
/// been written back in full (backpressure), half-close answered after the last echoed byte.
/// </remarks>
internal static unsafe partial class ChildEchoLoop
{
    /// <summary>
    /// Echoes <paramref name="clientFd"/> (a connected TCP socket; made non-blocking here, not closed)
    /// until it ends, keeping <paramref name="slot"/>'s counters current; sets its End, ProxyError and
    /// Client, and finally State = Finished. <paramref name="signalFd"/> (-1 for none) is a signalfd
    /// whose signals the child has blocked: SIGTERM starts the drain, every other signal is read and
    /// ignored.
    /// </summary>
    public static void Run(int clientFd, int signalFd, ChildSlot* slot, in ChildEchoSettings settings, ChildBuffers buffers)
    {
        Interlocked.CompareExchange(ref slot->State, (int)ChildSlotState.Serving, (int)ChildSlotState.Reserved);
        var session = new Session(clientFd, signalFd, slot, settings, buffers);
        EchoEnd end = session.Run();
        Volatile.Write(ref slot->End, (int)end);
        Interlocked.Exchange(ref slot->State, (int)ChildSlotState.Finished);
    }

    private enum WaitResult
    {
        Ready,
        IdleTimedOut,
        Drained,
        DeadlinePassed,
        Failed,
    }

    private ref struct Session
    {
        // While data keeps arriving the loop does not poll; it looks at the signalfd every this many chunks.
        private const int SignalCheckInterval = 32;

        private const EchoEnd Running = 0;

        private readonly int _fd;
        private readonly ChildSlot* _slot;
        private readonly ChildEchoSettings _settings;
        private readonly byte* _echo;
        private readonly Span<byte> _log;
        private readonly Span<byte> _proxy;
        private readonly Span<byte> _peer;
        private readonly Span<byte> _chunkText;
        private readonly int _pid;
        private int _signalFd;
        private int _peerLength;
        private long _drainDeadline;
        private long _idleDeadline;
        private bool _progressed;
        private int _sinceSignalCheck;

        public Session(int fd, int signalFd, ChildSlot* slot, in ChildEchoSettings settings, ChildBuffers buffers)
        {
            _fd = fd;
            _signalFd = signalFd;
            _slot = slot;
            _echo = buffers.EchoPointer;
            _log = buffers.Log;
            _proxy = buffers.Proxy;
            _peer = buffers.Peer;
            _chunkText = buffers.ChunkText;
            _pid = Posix.getpid();
            _drainDeadline = long.MaxValue;
            _idleDeadline = long.MaxValue;
            _settings = settings with { BufferSize = Math.Min(settings.BufferSize, buffers.EchoLength) };
        }

        public EchoEnd Run()
        {
            if (!Posix.SetNonBlocking(_fd))
            {
                return EchoEnd.Error;
            }

            if (_settings.ProxyProtocol)
            {
                EchoEnd rejected = ReadProxyHeader();
                if (rejected != Running)
                {
                    return rejected;
                }

                if (_settings.MaxPerClient > 0 && ClientLimit.Exceeded(_slot, _settings.Table, _settings.TableCapacity, _settings.MaxPerClient))
                {
                    return EchoEnd.RefusedPerSource;
                }
            }

            if (_settings.LogChunks)
            {
                _peerLength = ChildLogLine.WritePeerName(_slot->Peer, _slot->Client, _peer);
            }

            return Echo();
        }

        private EchoEnd Echo()
        {
            _progressed = true;
            while (true)
            {
                nint received = Posix.recv(_fd, _echo, (nuint)_settings.BufferSize, 0);
                if (received > 0)
                {
                    Volatile.Write(ref _slot->BytesIn, _slot->BytesIn + received);
                    _progressed = true;
                    if (_settings.LogChunks)
                    {
                        LogChunk(new ReadOnlySpan<byte>(_echo, (int)received));
                    }

                    EchoEnd end = SendAll((int)received);
                    if (end == Running)
                    {
                        end = CheckSignalsWhileBusy();
                    }

                    if (end != Running)
                    {
                        return end;
                    }

                    continue;
                }

                if (received == 0)
                {
                    // The client has finished sending and all of it went back: finish our side too.
                    Posix.shutdown(_fd, Posix.SHUT_WR);
                    return EchoEnd.ClientClosed;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno == Posix.EINTR)
                {
                    continue;
                }

                if (errno != Posix.EAGAIN)
                {
                    return Classify(errno);
                }

                WaitResult waited = Wait(Posix.POLLIN, long.MaxValue);
                if (waited != WaitResult.Ready)
                {
                    return EndFor(waited);
                }
            }
        }

        // Writes the whole chunk back before the loop reads again: the backpressure.
        private EchoEnd SendAll(int count)
        {
            int sent = 0;
            while (sent < count)
            {
                nint n = Posix.send(_fd, _echo + sent, (nuint)(count - sent), Posix.MSG_NOSIGNAL);
                if (n > 0)
                {
                    sent += (int)n;
                    Volatile.Write(ref _slot->BytesOut, _slot->BytesOut + n);
                    _progressed = true;
                    continue;
                }

                int errno = n == 0 ? 0 : Marshal.GetLastPInvokeError();
                if (errno == Posix.EINTR)
                {
                    continue;
                }

                if (errno != Posix.EAGAIN)
                {
                    return Classify(errno);
                }

                WaitResult waited = Wait(Posix.POLLOUT, long.MaxValue);
                if (waited != WaitResult.Ready)
                {
                    return EndFor(waited);
                }
            }

            return Running;
        }

        // A client that streams without pause never makes the loop poll: look at signals and the drain now and then.
        private EchoEnd CheckSignalsWhileBusy()
        {
            if (_signalFd >= 0 && ++_sinceSignalCheck >= SignalCheckInterval)
            {
                _sinceSignalCheck = 0;
                Posix.PollFd signals = new() { Fd = _signalFd, Events = Posix.POLLIN };
                if (Posix.poll(&signals, 1, 0) > 0)
                {
                    ReadSignal(signals.Revents);
                }
            }

            return _drainDeadline != long.MaxValue && Posix.MonotonicMilliseconds() >= _drainDeadline ? EchoEnd.Shutdown : Running;
        }

        // Reads exactly the PROXY header (never a byte of echo data) within the time allowed.
        private EchoEnd ReadProxyHeader()
        {
            long deadline = _settings.ProxyTimeoutMs > 0 ? Posix.MonotonicMilliseconds() + _settings.ProxyTimeoutMs : long.MaxValue;
            ProxyHeaderError error = ReceiveExactly(0, 5, deadline);
            SlotAddress source = default;
            if (error == ProxyHeaderError.None)
            {
                error = ProxyHeaderSpanParser.DetectVersion(_proxy[..5]) switch
                {
                    1 => ReadV1(deadline, out source),
                    2 => ReadV2(deadline, out source),
                    _ => ProxyHeaderError.NotProxy,
                };
            }

            if (_drainDeadline != long.MaxValue && Posix.MonotonicMilliseconds() >= _drainDeadline)
            {
                return EchoEnd.Shutdown;
            }

            if (error != ProxyHeaderError.None)
            {
                Volatile.Write(ref _slot->ProxyError, (int)error);
                return EchoEnd.Rejected;
            }

            // Family last, so that a reader who sees it sees the whole address.
            ushort family = source.Family;
            source.Family = SlotAddress.None;
            _slot->Client = source;
            Volatile.Write(ref _slot->Client.Family, family);
            return Running;
        }

        // One byte at a time up to the line feed: reading further would swallow echo data.
        private ProxyHeaderError ReadV1(long deadline, out SlotAddress source)
        {
            source = default;
            int length = 5;
            while (_proxy[length - 1] != (byte)'\n')
            {
                if (length == ProxyHeaderSpanParser.V1MaxLength)
                {
                    return ProxyHeaderError.V1TooLong;
                }

                ProxyHeaderError error = ReceiveExactly(length++, 1, deadline);
                if (error != ProxyHeaderError.None)
                {
                    return error;
                }
            }

            return ProxyHeaderSpanParser.TryParseV1(_proxy[..length], out source, out _);
        }

        private ProxyHeaderError ReadV2(long deadline, out SlotAddress source)
        {
            source = default;
            const int Fixed = ProxyHeaderSpanParser.V2FixedLength;
            ProxyHeaderError error = ReceiveExactly(5, Fixed - 5, deadline);
            if (error == ProxyHeaderError.None)
            {
                error = ProxyHeaderSpanParser.TryGetV2AddressLength(_proxy[..Fixed], out int length);
                if (error == ProxyHeaderError.None)
                {
                    error = ReceiveExactly(Fixed, length, deadline);
                    if (error == ProxyHeaderError.None)
                    {
                        error = ProxyHeaderSpanParser.TryParseV2(_proxy[..Fixed], _proxy.Slice(Fixed, length), out source, out _);
                    }
                }
            }

            return error;
        }

        // Fills _proxy[offset..offset+count] from the client; a drain that runs out reports Timeout (the caller checks the drain).
        private ProxyHeaderError ReceiveExactly(int offset, int count, long deadline)
        {
            fixed (byte* header = _proxy)
            {
                while (count > 0)
                {
                    nint n = Posix.recv(_fd, header + offset, (nuint)count, 0);
                    if (n > 0)
                    {
                        offset += (int)n;
                        count -= (int)n;
                        continue;
                    }

                    if (n == 0)
                    {
                        return ProxyHeaderError.Closed;
                    }

                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Posix.EINTR)
                    {
                        continue;
                    }

                    if (errno != Posix.EAGAIN)
                    {
                        return ProxyHeaderError.ConnectionFailed;
                    }

                    WaitResult waited = Wait(Posix.POLLIN, deadline);
                    if (waited != WaitResult.Ready)
                    {
                        return waited == WaitResult.Failed ? ProxyHeaderError.ConnectionFailed : ProxyHeaderError.Timeout;
                    }
                }
            }

            return ProxyHeaderError.None;
        }

        // --verbose: one line, one write(2), so that lines of concurrent children never interleave.
        private readonly void LogChunk(ReadOnlySpan<byte> chunk)
        {
            int chunkLength = ChunkFormatter.Write(chunk, _chunkText);
            DateTime utc = Posix.UtcNow();
            ReadOnlySpan<byte> peer = _peer[.._peerLength];
            int length = _settings.LogJson
                ? ChildLogLine.WriteJson(_log, utc, _pid, peer, _chunkText[..chunkLength])
                : ChildLogLine.WriteText(_log, utc.AddMinutes(_settings.LocalUtcOffsetMinutes), _pid, peer, _chunkText[..chunkLength]);
            if (length <= 0)
            {
                return;
            }

            fixed (byte* line = _log)
            {
                // A log that cannot take the line (full pipe, closed descriptor) loses it; the echo goes on.
                for (int attempt = 0; attempt < 3; attempt++)
                {
                    nint written = Posix.write(_settings.LogFd, line, (nuint)length);
                    if (written >= 0 || Marshal.GetLastPInvokeError() != Posix.EINTR)
                    {
                        return;
                    }
                }
            }
        }

        // Waits until the client is ready for `events`, a signal has been handled, or a deadline passes.
        private WaitResult Wait(short events, long deadline)
        {
            Posix.PollFd* fds = stackalloc Posix.PollFd[2];
            while (true)
            {
                long now = Posix.MonotonicMilliseconds();
                if (_progressed)
                {
                    _progressed = false;
                    _idleDeadline = _settings.IdleTimeoutMs > 0 ? now + _settings.IdleTimeoutMs : long.MaxValue;
                }

                if (now >= _drainDeadline)
                {
                    return WaitResult.Drained;
                }

                if (now >= deadline)
                {
                    return WaitResult.DeadlinePassed;
                }

                if (now >= _idleDeadline)
                {
                    return WaitResult.IdleTimedOut;
                }

                long until = Math.Min(Math.Min(_drainDeadline, deadline), _idleDeadline);
                int timeout = until == long.MaxValue ? -1 : (int)Math.Min(until - now, int.MaxValue);
                fds[0] = new Posix.PollFd { Fd = _fd, Events = events };
                fds[1] = new Posix.PollFd { Fd = _signalFd, Events = Posix.POLLIN };
                int ready = Posix.poll(fds, 2, timeout);
                if (ready < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Posix.EINTR)
                    {
                        continue;
                    }

                    return WaitResult.Failed;
                }

                if (fds[1].Revents != 0)
                {
                    ReadSignal(fds[1].Revents);
                }

                if (fds[0].Revents != 0)
                {
                    // Readable, writable, or an error or hang-up that the next recv/send reports.
                    return WaitResult.Ready;
                }
            }
        }

        // One struct signalfd_siginfo per read; SIGTERM starts the drain, anything else is dropped.
        private void ReadSignal(short revents)
        {
            if ((revents & (Posix.POLLERR | Posix.POLLNVAL)) != 0)
            {
                // Not a usable signalfd: stop polling it rather than spin.
                _signalFd = -1;
                return;
            }

            byte* info = stackalloc byte[Posix.SignalInfoSize];
            nint read = Posix.read(_signalFd, info, Posix.SignalInfoSize);
            if (read == Posix.SignalInfoSize && *(uint*)info == Posix.SIGTERM && _drainDeadline == long.MaxValue)
            {
                _drainDeadline = Posix.MonotonicMilliseconds() + Math.Max(0, _settings.DrainMs);
            }
        }

        private static EchoEnd EndFor(WaitResult waited) => waited switch
        {
            WaitResult.Drained => EchoEnd.Shutdown,
            WaitResult.IdleTimedOut => EchoEnd.IdleTimeout,
            _ => EchoEnd.Error,
        };

        private static EchoEnd Classify(int errno) => errno switch
        {
            Posix.ECONNRESET or Posix.EPIPE or Posix.ECONNABORTED or Posix.ENOTCONN or Posix.ESHUTDOWN => EchoEnd.Reset,
            Posix.ETIMEDOUT => EchoEnd.IdleTimeout,
            _ => EchoEnd.Error,
        };
    }
}
