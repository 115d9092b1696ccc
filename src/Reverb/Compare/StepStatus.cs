namespace Reverb.Compare;

/// <summary>How a step ended.</summary>
internal enum StepStatus
{
    /// <summary>Ran and every echo was right.</summary>
    Ok,

    /// <summary>Ran, but with errors, timeouts or wrong echoes (the figures are still shown).</summary>
    Degraded,

    /// <summary>Did not produce figures, or (idle) did not hold every connection: the server's last idle step.</summary>
    Failed,

    /// <summary>Not run: above the server's cap, after an earlier idle failure, or over the time budget.</summary>
    Skipped,
}
