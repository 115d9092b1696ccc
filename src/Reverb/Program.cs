using Reverb.Commands;

// Reverb is a Linux server (fd passing, SO_REUSEPORT, Unix file modes).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

return await ReverbCli.RunAsync(args).ConfigureAwait(false);
