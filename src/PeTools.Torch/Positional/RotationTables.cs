using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Positional;

/// <summary>
/// The fast rotation of <see cref="RotaryEncoding"/> in three kernels: for interleaved pairs (x_2i, x_2i+1),
/// rot(x) = x ∘ C + swap(x) ∘ S with C = (c_i, c_i) and S = (−s_i, s_i) per pair, swap exchanging the two members
/// of every pair; that is (x_2i c_i − x_2i+1 s_i, x_2i s_i + x_2i+1 c_i), the composite's pair rotation, written as
/// two elementwise products so the tables can be built once per length. Dims past d_rot and heads past the rotated
/// ones get C = 1, S = 0 (they pass through).
/// </summary>
public static class RotationTables
{
    /// <summary>True when x (B, H, T, dh) can take the fast path (pairs cover an even head dim).</summary>
    public static bool Fits(Tensor x) => x.dim() == 4 && x.shape[3] % 2 == 0;

    /// <summary>
    /// C and S from cos, sin (T, d_rot/2): (T, dh) when every head rotates, else (H, T, dh) with the first
    /// <paramref name="rotatedHeads"/> heads rotating.
    /// </summary>
    public static (Tensor C, Tensor S) Build(Tensor cos, Tensor sin, long heads, long rotatedHeads, long headDim)
    {
        long t = cos.shape[0], rotated = 2 * cos.shape[1];
        var c = stack([cos, cos], dim: -1).flatten(-2);                                   // (T, d_rot): c0 c0 c1 c1 …
        var s = stack([sin.neg(), sin], dim: -1).flatten(-2);                             // (T, d_rot): −s0 s0 −s1 s1 …
        if (rotated < headDim)
        {
            c = cat([c, ones(t, headDim - rotated, dtype: cos.dtype, device: cos.device)], dim: -1);   // (T, dh)
            s = cat([s, zeros(t, headDim - rotated, dtype: cos.dtype, device: cos.device)], dim: -1);  // (T, dh)
        }
        if (rotatedHeads >= heads) return (c.contiguous(), s.contiguous());               // broadcast over (B, H)
        long pass = heads - rotatedHeads;
        c = cat([c.expand(rotatedHeads, t, headDim), ones(pass, t, headDim, dtype: cos.dtype, device: cos.device)], dim: 0);   // (H, T, dh)
        s = cat([s.expand(rotatedHeads, t, headDim), zeros(pass, t, headDim, dtype: cos.dtype, device: cos.device)], dim: 0); // (H, T, dh)
        return (c, s);
    }

    /// <summary>rot(x) for x (B, H, T, dh), tables from <see cref="Build"/> in x's dtype and device.</summary>
    public static Tensor Apply(Tensor x, (Tensor C, Tensor S) tables)
    {
        long b = x.shape[0], h = x.shape[1], t = x.shape[2], dh = x.shape[3];
        var swapped = x.reshape(b, h, t, dh / 2, 2).flip(-1).reshape(b, h, t, dh);    // (B, H, T, dh): pairs exchanged
        // The factor 1 as a Scalar held until the call returns: TorchSharp passes a Scalar's native handle alone, so an
        // implicit one (the literal) may be finalized while libtorch reads it. Suspected cause of one CI failure here,
        // a Scalar::toFloat check inside addcmul_, never reproduced.
        using var one = 1.ToScalar();
        return (x * tables.C).addcmul_(swapped, tables.S, one);                         // (B, H, T, dh)
    }
}
