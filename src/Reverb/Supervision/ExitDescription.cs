using System.Diagnostics;
using Reverb.Interop;

namespace Reverb.Supervision;

/// <summary>Describes how a child process ended, in the words an operator expects.</summary>
internal static class ExitDescription
{
    public static string Of(Process process)
    {
        if (!process.HasExited)
        {
            return "still running";
        }

        int code = process.ExitCode;

        // The runtime reports a death by signal N as exit code 128 + N.
        return code > 128 && code < 128 + 65
            ? $"killed by signal {code - 128}{SignalName(code - 128)}"
            : $"exit code {code}";
    }

    /// <summary>The same words for a raw waitpid status (a process the runtime did not start).</summary>
    public static string OfWaitStatus(int status) => Posix.Signaled(status)
        ? $"killed by signal {Posix.TermSignal(status)}{SignalName(Posix.TermSignal(status))}"
        : $"exit code {Posix.ExitCode(status)}";

    private static string SignalName(int signal) => signal switch
    {
        6 => " (SIGABRT)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        _ => string.Empty,
    };
}
