namespace Reverb.Compare;

/// <summary>
/// A compare run cannot go on: a server definition that is not valid (a usage error), or a report or results
/// file that cannot be read or written. The message is one line for the user; the command layer prints it
/// without a stack trace.
/// </summary>
internal sealed class CompareException : Exception
{
    public CompareException()
        : this("the compare run failed")
    {
    }

    public CompareException(string message)
        : base(message)
    {
    }

    public CompareException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public CompareException(string message, bool isUsage)
        : base(message)
    {
        IsUsage = isUsage;
    }

    /// <summary>The command line was wrong (exit code 2), rather than the run failing (exit code 1).</summary>
    public bool IsUsage { get; }
}
