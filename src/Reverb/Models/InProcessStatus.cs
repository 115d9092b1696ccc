using Reverb.Monitoring;
using Reverb.Serving;

namespace Reverb.Models;

/// <summary>The single-process models' status: every client is in the master itself.</summary>
internal sealed class InProcessStatus : IStatusSource
{
    private readonly ConnectionTable _connections;

    public InProcessStatus(ConnectionTable connections) => _connections = connections;

    public Task<ModelStatus> CaptureAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new ModelStatus([.. _connections.Live().Select(ClientStatus.Of)], [], _connections.Totals(), 0));

    public Task<ModelStatus> CaptureTotalsAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new ModelStatus([], [], _connections.Totals(), 0));
}
