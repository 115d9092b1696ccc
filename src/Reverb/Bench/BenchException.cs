namespace Reverb.Bench;

/// <summary>A bench run failed: the target cannot be reached, an echo did not match, or its results cannot be written. The message is one line for the user; the command layer prints it without a stack trace.</summary>
internal sealed class BenchException : Exception
{
    public BenchException()
        : this("the bench run failed")
    {
    }

    public BenchException(string message)
        : base(message)
    {
    }

    public BenchException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
