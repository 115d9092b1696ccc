using System.CommandLine;

namespace Reverb.Commands;

internal static class WorkerCommand
{
    public static Command Create()
    {
        var command = new Command("worker", "Internal: a worker process started by the master.");
        command.SetAction(_ => ExitCodes.Ok);
        return command;
    }
}
