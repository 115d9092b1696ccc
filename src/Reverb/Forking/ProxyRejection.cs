namespace Reverb.Forking;

// TEMPORARY until the allocation-free PROXY parser lands with its error codes.
internal static class ProxyRejection
{
    public static string Describe(int error) => "no valid PROXY protocol header";
}
