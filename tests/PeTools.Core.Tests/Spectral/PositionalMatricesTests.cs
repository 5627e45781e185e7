using System.Numerics;
using PeTools.Core.Spectral;
using static PeTools.Core.Tests.Spectral.SpectralAssert;

namespace PeTools.Core.Tests.Spectral;

public class PositionalMatricesTests
{
    [Fact]
    public void Rope_kernel_entries_are_unit_phases_of_the_offset()
    {
        double theta = 0.37;
        var g = PositionalMatrices.RopeKernel(9, theta);
        for (int m = 0; m < 9; m++)
            for (int n = 0; n < 9; n++)
                Assert.True((g[m, n] - Complex.FromPolarCoordinates(1, (m - n) * theta)).Magnitude < 1e-14);
        // rank one: G_e = u u*
        var u = PositionalMatrices.RopePhases(9, theta);
        var outer = DiagonalScaling.OuterProduct(u);
        for (int m = 0; m < 9; m++)
            for (int n = 0; n < 9; n++) Assert.True((g[m, n] - outer[m, n]).Magnitude < 1e-13);
    }

    [Fact]
    public void Rope_frequencies_follow_base_to_the_minus_two_t_over_d()
    {
        var theta = PositionalMatrices.RopeFrequencies(16, 10000);
        Assert.Equal(8, theta.Length);
        Assert.Equal(1.0, theta[0]);
        Close(Math.Pow(10000, -14.0 / 16), theta[7], 1e-15, "θ_7");
        Assert.Throws<ArgumentException>(() => PositionalMatrices.RopeFrequencies(15));
    }

    [Fact]
    public void Sinusoidal_gram_is_toeplitz_with_the_cosine_sum_symbol()
    {
        int n = 20, d = 12;
        var p = PositionalMatrices.SinusoidalEncoding(n, d);
        var symbol = PositionalMatrices.SinusoidalGramSymbol(n, d);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double dot = 0;
                for (int k = 0; k < d; k++) dot += p[i, k] * p[j, k];
                Close(symbol[Math.Abs(i - j)], dot, 1e-12, $"(PPᵀ)[{i},{j}]");
            }
        Assert.Equal(Math.Sin(3 * Math.Pow(10000, -2.0 / d)), p[3, 2]);
        Assert.Equal(Math.Cos(3 * Math.Pow(10000, -2.0 / d)), p[3, 3]);
    }

    [Fact]
    public void Rope_real_kernel_is_the_real_part_of_the_sum_of_frequency_kernels()
    {
        int n = 15, d = 8;
        var symbol = PositionalMatrices.RopeRealKernelSymbol(n, d);
        var theta = PositionalMatrices.RopeFrequencies(d);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                Close(theta.Sum(t => PositionalMatrices.RopeKernel(n, t)[i, j].Real), symbol[Math.Abs(i - j)], 1e-12, $"({i},{j})");
    }

    [Fact]
    public void Alibi_slopes_follow_the_paper_code_and_the_standard_sequence()
    {
        Assert.Equal(1.0, PositionalMatrices.AlibiSlope(0, 16, AlibiSlopes.Paper));
        Close(Math.Exp(-15.0 / 16), PositionalMatrices.AlibiSlope(15, 16, AlibiSlopes.Paper), 1e-15, "paper h=15");
        Close(0.5, PositionalMatrices.AlibiSlope(1, 16, AlibiSlopes.Standard), 1e-15, "standard h=1: 2^(−8·2/16)");
        Close(1.0 / 256, PositionalMatrices.AlibiSlope(15, 16, AlibiSlopes.Standard), 1e-15, "standard h=15");
        var b = Toeplitz.Symmetric(PositionalMatrices.AlibiSymbol(6, 0.25));
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++) Assert.Equal(-0.25 * Math.Abs(i - j), b[i, j]);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(-1, 1)]
    [InlineData(1, 17)]
    [InlineData(-7, 7)]
    [InlineData(-8, 8)]
    [InlineData(-9, 8)]
    [InlineData(-16, 10)]
    [InlineData(16, 26)]
    [InlineData(-127, 15)]
    [InlineData(-128, 15)]
    [InlineData(500, 31)]
    public void T5_bucket_matches_the_reference_implementation(int relativePosition, int bucket)
    {
        Assert.Equal(bucket, PositionalMatrices.T5Bucket(relativePosition));
    }

    [Fact]
    public void T5_bias_reads_the_bucket_of_key_minus_query()
    {
        var values = Enumerable.Range(0, 32).Select(b => (double)b).ToArray();
        var (column, row) = PositionalMatrices.T5Bias(40, values);
        var t = Toeplitz.Dense(column, row);
        for (int i = 0; i < 40; i++)
            for (int j = 0; j < 40; j++) Assert.Equal(PositionalMatrices.T5Bucket(j - i), t[i, j]);
    }

    [Fact]
    public void Rope_operator_equals_the_literal_hadamard_definition()
    {
        var rng = new Random(61);
        for (int trial = 0; trial < 8; trial++)
        {
            int n = rng.Next(1, 40), d = 2 * rng.Next(1, 6);
            var c = ContentInstance.Sample(n, 16, d, rng);
            var theta = PositionalMatrices.RopeFrequencies(d, 100);
            var viaRotation = Operators.ToDense(ContentLogits.Rope(c, theta));
            var viaHadamard = ContentLogits.RopeByHadamard(c, theta);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) Close(viaHadamard[i, j], viaRotation[i, j], 1e-12, $"({i},{j})");
        }
    }

    [Fact]
    public void Rope_logits_on_constant_content_depend_only_on_offset()
    {
        var rng = new Random(62);
        var row = ContentInstance.Gaussian(rng, 1, 8, 1);
        var x = new double[12, 8];
        for (int i = 0; i < 12; i++)
            for (int k = 0; k < 8; k++) x[i, k] = row[0, k];
        var w = ContentInstance.Gaussian(rng, 8, 8, 1);
        var c = ContentInstance.FromParts(x, w, w, null, 0);
        var l = Operators.ToDense(ContentLogits.Rope(c, PositionalMatrices.RopeFrequencies(8)));
        for (int i = 1; i < 12; i++)
            for (int j = 1; j < 12; j++) Close(l[i - 1, j - 1], l[i, j], 1e-12, $"({i},{j})");
    }

    [Fact]
    public void Content_sampling_matches_position_energy_to_the_requested_ratio()
    {
        var rng = new Random(63);
        var x = ContentInstance.Gaussian(rng, 30, 16, 1);
        var w = ContentInstance.Gaussian(rng, 16, 16, 0.25);
        var p = PositionalMatrices.SinusoidalEncoding(30, 16);
        // With W = I the sampled Q is X + sP; recover s P and check its norm is 2 ‖X‖_F.
        var identity = new double[16, 16];
        for (int i = 0; i < 16; i++) identity[i, i] = 1;
        var c = ContentInstance.FromParts(x, identity, identity, p, 2.0);
        double energy = 0;
        for (int i = 0; i < 30; i++)
            for (int k = 0; k < 16; k++) energy += Math.Pow(c.Q[i, k] - x[i, k], 2);
        Close(2 * DenseEigen.FrobeniusNorm(x), Math.Sqrt(energy), 1e-12, "‖sP‖_F");
        _ = w;
    }
}
