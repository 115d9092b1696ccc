namespace Reverb.Monitoring;

/// <summary>A running model, asked for its processes, clients and totals (by status and metrics).</summary>
internal interface IStatusSource
{
    Task<ModelStatus> CaptureAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Totals and worker states without the per-client rows: what a metrics scrape needs, and cheap
    /// however many clients are open (at most one message per worker, never one per connection).
    /// A model that has no cheaper way falls back to the full capture.
    /// </summary>
    Task<ModelStatus> CaptureTotalsAsync(CancellationToken cancellationToken) => CaptureAsync(cancellationToken);
}
