namespace Reverb.Tests.Infrastructure;

public static class Payloads
{
    /// <summary>Deterministic pseudo-random bytes, with NULs and every byte value likely present.</summary>
    public static byte[] Random(int length, int seed = 42)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        for (int i = 0; i < length; i += 97)
        {
            data[i] = 0;
        }

        return data;
    }
}
