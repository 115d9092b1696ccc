using System.CommandLine;

namespace Reverb.Commands;

/// <summary>`reverb compare`: placeholder until its issue lands.</summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var command = new Command("compare", "Not built yet.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("reverb: 'compare' is not built yet");
            return ExitCodes.Failure;
        });
        return command;
    }
}
