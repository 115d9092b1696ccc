using System.Diagnostics;

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

    private static string SignalName(int signal) => signal switch
    {
        6 => " (SIGABRT)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        _ => string.Empty,
    };
}
