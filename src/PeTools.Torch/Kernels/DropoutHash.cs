namespace PeTools.Torch.Kernels;

/// <summary>
/// The dropout decisions of the run-time kernels (<c>pe_common.cuh</c>: pe_hash32, pe_block_key, pe_keep, and for
/// attention pe_pair_hash, pe_pair_keep), computed on
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

    /// <summary>Attention's threshold (pe_pair_threshold): p·2^16 rounded, at most 65,535, in the top half.</summary>
    public static uint PairThreshold(double dropout)
    {
        double t = dropout * 65536.0 + 0.5;
        return (t >= 65535.0 ? 65535u : (uint)t) << 16;
    }

    /// <summary>Whether attention weight (i, j) of a block with this key is kept (pe_pair_hash, pe_pair_keep): the
    /// low (even j) or high (odd j) 16 bits of the hash of pair index i·64 + j / 2.</summary>
    public static bool KeepPair(uint key, int i, int j, uint threshold)
    {
        uint hash = Hash32((uint)(i * 64 + (j >> 1)) ^ key);
        return ((j & 1) == 1 ? hash : hash << 16) >= threshold;
    }

    /// <summary>The largest dropout probability attention's 16-bit decisions represent: above it the composite runs.</summary>
    public const double MaxPairDropout = 65535.0 / 65536.0;

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
