namespace Reverb.Commands;

/// <summary>
/// Prints a user-facing failure (<see cref="UserError"/>) the way ReverbCli does, for the client and bench actions,
/// which report their own failures so that one line, never a stack trace, is printed however they are invoked.
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
        catch (Exception ex) when (UserError.TryDescribe(ex, out _, out _))
        {
            return UserError.Report(ex);
        }
    }
}
