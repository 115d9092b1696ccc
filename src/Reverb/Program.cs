using Reverb.Commands;

return await ReverbCli.RunAsync(args).ConfigureAwait(false);
