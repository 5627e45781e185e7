using System.Security.Cryptography;
using System.Text;

namespace PeTools.Core;

/// <summary>
/// One user seed, many independent named streams: <c>seeds.For("split")</c>, <c>seeds.For("init")</c>.
/// Child seeds come from SHA-256 of (seed, name), so adding a new stream never shifts an existing one,
/// and nothing depends on the order streams are asked for.
/// </summary>
public sealed class SeedSequence(long seed)
{
    public long Seed { get; } = seed;

    /// <summary>A 64-bit child seed for the stream called <paramref name="name"/>.</summary>
    public long For(string name)
    {
        var bytes = Encoding.UTF8.GetBytes($"{Seed}/{name}");
        var hash = SHA256.HashData(bytes);
        return BitConverter.ToInt64(hash, 0) & long.MaxValue;
    }

    /// <summary>A 32-bit child seed, for APIs (System.Random, MathNet) that take an int.</summary>
    public int For32(string name) => (int)(For(name) & int.MaxValue);

    /// <summary>A deterministic generator for the named stream. Never use <c>new Random()</c>.</summary>
    public Random Random(string name) => new(For32(name));

    public SeedSequence Child(string name) => new(For(name));
}
