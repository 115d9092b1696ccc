using Reverb.Commands;

namespace Reverb.Client;

/// <summary>
/// Prints a <see cref="CliException"/> the way ReverbCli does. The client and bench actions report their own
/// failures because System.CommandLine's default exception handler runs before ReverbCli's catch and would print
/// a stack trace instead of the promised one line.
/// </summary>
internal static class CliFailure
{
    public static async Task<int> GuardAsync(Func<Task<int>> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (CliException ex)
        {
            await Console.Error.WriteLineAsync($"reverb: {ex.Message}").ConfigureAwait(false);
            return ex.ExitCode;
        }
    }
}
