namespace Reverb.Monitoring;

/// <summary>A running model, asked for its processes, clients and totals (by status and metrics).</summary>
internal interface IStatusSource
{
    Task<ModelStatus> CaptureAsync(CancellationToken cancellationToken);
}
