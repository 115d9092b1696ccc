using System.CommandLine;

namespace Reverb.Commands;

internal static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve", "Run the echo server.");
        command.SetAction(_ => ExitCodes.Ok);
        return command;
    }
}
