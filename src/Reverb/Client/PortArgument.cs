using System.CommandLine;

namespace Reverb.Client;

/// <summary>The PORT argument shared by the commands that talk to an echo server.</summary>
internal static class PortArgument
{
    public static Argument<int> Create()
    {
        var port = new Argument<int>("PORT") { Description = "Echo server port (1-65535)." };
        port.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value is < 1 or > 65535)
            {
                result.AddError($"PORT must be between 1 and 65535, not {value}");
            }
        });
        return port;
    }
}
