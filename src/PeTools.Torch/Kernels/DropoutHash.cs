namespace PeTools.Torch.Kernels;

/// <summary>
/// The dropout decisions of the run-time kernels (<c>pe_common.cuh</c>: pe_hash32, pe_block_key, pe_keep), computed on
/// the host the same way, so the oracles of <see cref="FusedSmallAttention"/> and <see cref="FusedResidualDropout"/> can
/// drop exactly what the kernels drop.
/// </summary>
internal static class DropoutHash
{
    /// <summary>Decisions at or above this 32-bit value keep: p·2^32, as the kernels compute it.</summary>
    public static uint Threshold(double dropout) => (uint)(dropout * 4294967296.0);

    /// <summary>The 32-bit key of one block of decisions (an attention (batch, head) pair; 2^16 residual elements).</summary>
    public static uint BlockKey(long seed, ulong block)
    {
        ulong useed = (ulong)seed;
        return Hash32((uint)useed ^ Hash32((uint)block + (uint)(useed >> 32)));
    }

    public static bool Keep(uint key, uint index, uint threshold) => Hash32(index ^ key) >= threshold;

    /// <summary>"lowbias32" (C. Wellons' hash-prospector): a full-avalanche 32-bit mix.</summary>
    public static uint Hash32(uint x)
    {
        x ^= x >> 16;
        x *= 0x7feb352du;
        x ^= x >> 15;
        x *= 0x846ca68bu;
        x ^= x >> 16;
        return x;
    }
}
