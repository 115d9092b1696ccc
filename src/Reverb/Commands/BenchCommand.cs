using System.CommandLine;

namespace Reverb.Commands;

/// <summary>`reverb bench`: placeholder until its issue lands.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Not built yet.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("reverb: 'bench' is not built yet");
            return ExitCodes.Failure;
        });
        return command;
    }
}
