using System.Numerics;
using System.Runtime.CompilerServices;

namespace PeTools.Core;

/// <summary>
/// xoshiro256** 1.0 (Blackman and Vigna, https://prng.di.unimi.it/xoshiro256starstar.c): a small, fast generator
/// whose output is fixed by its definition, unlike <see cref="System.Random"/> whose seeded algorithm is an
/// implementation detail of the runtime. Seeded through SplitMix64 as its authors recommend. Generators for
/// parallel chunks come from <see cref="ForStream"/>, so a chunk's numbers do not depend on which thread made it.
/// A mutable struct on purpose: pass it by <c>ref</c>, copy it only to fork.
/// </summary>
public struct Xoshiro256
{
    private const ulong Golden = 0x9E3779B97F4A7C15;
    private ulong _s0, _s1, _s2, _s3;
    private uint _spare; // the unused low half of the last 64-bit output, see NextUInt32
    private bool _hasSpare;

    /// <summary>Starts from a raw state (not all zero); for test vectors. Use <see cref="FromSeed"/> otherwise.</summary>
    public Xoshiro256(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        if ((s0 | s1 | s2 | s3) == 0) throw new ArgumentException("xoshiro256** state must not be all zero");
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    /// <summary>The state is four successive SplitMix64 outputs from <paramref name="seed"/> (never all zero).</summary>
    public static Xoshiro256 FromSeed(ulong seed)
    {
        var x = seed;
        return new Xoshiro256(SplitMix64(ref x), SplitMix64(ref x), SplitMix64(ref x), SplitMix64(ref x));
    }

    /// <summary>
    /// Generator number <paramref name="stream"/> of a family. The stream index is hashed into the seed rather than
    /// added: SplitMix64 seeds that differ by multiples of its increment would give overlapping, shifted states.
    /// </summary>
    public static Xoshiro256 ForStream(long seed, long stream) =>
        FromSeed(Mix64((ulong)seed ^ Mix64((ulong)stream + Golden)));

    /// <summary>One SplitMix64 step (Steele, Lea and Flood 2014); advances <paramref name="state"/>.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        state += Golden;
        return Mix64(state);
    }

    /// <summary>SplitMix64's finaliser: a bijective 64-bit mixer, also used for sequence hashing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix64(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>
    /// 32 random bits: the high half of a 64-bit output, then its low half on the next call. The ** scrambler's low
    /// bits pass the same tests as its high bits (unlike xoshiro256+), and halving generator steps cut the distance
    /// task's sampling cost by a third.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint NextUInt32()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        ulong x = NextUInt64();
        _spare = (uint)x;
        _hasSpare = true;
        return (uint)(x >> 32);
    }

    /// <summary>
    /// Uniform in [0, <paramref name="n"/>), unbiased, by Lemire's multiply-and-reject (2019): one multiplication
    /// and almost never a division, which matters when every token costs one draw.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "bound must be positive");
        uint bound = (uint)n;
        ulong m = (ulong)NextUInt32() * bound;
        uint low = (uint)m;
        if (low < bound)
        {
            uint threshold = unchecked(0u - bound) % bound; // 2^32 mod bound: the size of the biased zone
            while (low < threshold)
            {
                m = (ulong)NextUInt32() * bound;
                low = (uint)m;
            }
        }
        return (int)(m >> 32);
    }

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="max"/>], both inclusive (Python's randint).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int NextInclusive(int min, int max) => min + NextInt(max - min + 1);
}
