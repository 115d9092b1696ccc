using System.CommandLine;

namespace Reverb.Commands;

/// <summary>Builds the <c>reverb</c> command tree and turns parse errors into one clear line.</summary>
internal static class ReverbCli
{
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "Reverb: a multi-process TCP echo server (RFC 862) with its own echo client and load tester.")
        {
            ServeCommand.Create(),
            ClientCommand.Create(),
            BenchCommand.Create(),
            CompareCommand.Create(),
            StatusCommand.Create(),
        };
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        RootCommand root = BuildRoot();
        ParseResult result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            // One line per problem and a pointer to help, never a usage dump or a stack trace.
            foreach (var error in result.Errors)
            {
                Console.Error.WriteLine($"reverb: {error.Message}");
            }

            string commandPath = string.Join(' ', result.CommandResult.Command.Name == root.Name
                ? ["reverb"]
                : new[] { "reverb", result.CommandResult.Command.Name });
            Console.Error.WriteLine($"Try '{commandPath} --help' for more information.");
            return ExitCodes.Usage;
        }

        try
        {
            // Our own handler below prints user errors as one line; anything else is a bug and keeps its trace.
            var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
            if (result.CommandResult.Command.Name is "serve" or "worker")
            {
                // The server handles SIGTERM and SIGINT itself (drain, then stop): System.CommandLine, which since
                // 2.0.x ends the process with 143 on SIGTERM, must not register its own handlers there.
                invocation.ProcessTerminationTimeout = null;
            }

            return await result.InvokeAsync(invocation).ConfigureAwait(false);
        }
        catch (Exception ex) when (UserError.TryDescribe(ex, out string message, out int exitCode))
        {
            Console.Error.WriteLine($"reverb: {message}");
            return exitCode;
        }
    }
}
