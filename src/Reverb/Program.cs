using Reverb.Commands;
using Reverb.Forking;
using Reverb.Supervision;

// Reverb is a Linux server (fd passing, SO_REUSEPORT, Unix file modes).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// The forking process of the process model goes straight to its loop: nothing that could start a
// runtime thread (the command-line library's signal handling, the console) may run before it forks.
if (args.Length > 0 && args[0] == ForkerSettings.Role)
{
    return ForkingProcess.Run(args);
}

// A worker of the workers model reads the line its master wrote; it needs none of the public commands.
if (args.Length > 0 && args[0] == WorkerSettings.Command)
{
    return await WorkerCommand.RunAsync(args).ConfigureAwait(false);
}

return await ReverbCli.RunAsync(args).ConfigureAwait(false);
