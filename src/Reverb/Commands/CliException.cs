namespace Reverb.Commands;

/// <summary>A user-facing failure: its message is printed as one line, without a stack trace.</summary>
internal sealed class CliException : Exception
{
    public CliException()
        : this("unknown error")
    {
    }

    public CliException(string message)
        : this(message, ExitCodes.Failure)
    {
    }

    public CliException(string message, int exitCode)
        : base(message)
    {
        ExitCode = exitCode;
    }

    public CliException(string message, Exception inner)
        : base(message, inner)
    {
        ExitCode = ExitCodes.Failure;
    }

    public int ExitCode { get; }
}
