using Reverb.Bench;
using Reverb.Client;
using Reverb.Compare;
using Reverb.Listening;

namespace Reverb.Commands;

/// <summary>
/// The edge where each part's own failure type becomes one line on standard error and an exit code: the
/// server's (it cannot start), the client's, the bench's, compare's, and the command layer's own.
/// Anything else is a bug and keeps its stack trace.
/// </summary>
internal static class UserError
{
    /// <summary>The line and exit code for a user-facing failure; false for anything else.</summary>
    public static bool TryDescribe(Exception exception, out string message, out int exitCode)
    {
        ArgumentNullException.ThrowIfNull(exception);
        exitCode = exception switch
        {
            CliException cli => cli.ExitCode,
            CompareException compare => compare.IsUsage ? ExitCodes.Usage : ExitCodes.Failure,
            ServerStartException or EchoClientException or BenchException => ExitCodes.Failure,
            _ => ExitCodes.Ok,
        };
        message = exitCode == ExitCodes.Ok ? string.Empty : exception.Message;
        return exitCode != ExitCodes.Ok;
    }
}
