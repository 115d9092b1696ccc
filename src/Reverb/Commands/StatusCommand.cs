using System.CommandLine;
using System.Text.Json;
using Reverb.Monitoring;
using Reverb.Status;
using Spectre.Console;

namespace Reverb.Commands;

/// <summary><c>reverb status</c>: asks a running server of this user (over its status socket) what it is doing.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var port = new Option<int?>("--port", "-p")
        {
            Description = "the TCP port of the server to ask (needed only when several servers run)",
            HelpName = "port",
        };
        port.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1 or > 65535)
            {
                result.AddError("--port: use a number from 1 to 65535");
            }
        });
        var json = new Option<bool>("--json") { Description = "print the status as JSON instead of a table" };

        var command = new Command(
            "status",
            "Show a running reverb server's master and workers: pid, parent pid, state, each client with its bytes in and out and since when, and totals. "
            + "It asks over the server's status socket, PORT.sock in $REVERB_CONTROL_DIR, else $XDG_RUNTIME_DIR/reverb, else /tmp/reverb-UID "
            + $"(here: {ControlPath.Directory()}), a directory only the server's owner can enter.")
        {
            port, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            ServerStatus status;
            try
            {
                status = await StatusRequest.FetchAsync(StatusRequest.Locate(parse.GetValue(port)), cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException ex)
            {
                throw new CliException(ex.Message);
            }

            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(status, StatusJson.Default.ServerStatus));
            }
            else
            {
                IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
                if (Console.IsOutputRedirected)
                {
                    // Piped: no terminal width to fit, so never wrap a row.
                    console.Profile.Width = 200;
                }

                StatusView.Write(console, status, DateTimeOffset.UtcNow);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
