namespace Reverb.Models;

/// <summary>A concurrency model decides only where connections run; the echo itself is shared.</summary>
internal interface IServerModel
{
    /// <summary>Serves until <paramref name="stop"/> is cancelled, then drains and returns.</summary>
    Task RunAsync(ServeContext context, CancellationToken stop);
}
