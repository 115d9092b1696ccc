using System.CommandLine;

namespace Reverb.Commands;

/// <summary>`reverb client`: placeholder until its issue lands.</summary>
internal static class ClientCommand
{
    public static Command Create()
    {
        var command = new Command("client", "Not built yet.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("reverb: 'client' is not built yet");
            return ExitCodes.Failure;
        });
        return command;
    }
}
