using System.Numerics;
using PeTools.Core.Spectral;
using static PeTools.Core.Tests.Spectral.SpectralAssert;

namespace PeTools.Core.Tests.Spectral;

public class DiagonalScalingTests
{
    [Fact]
    public void Hadamard_with_a_rank_one_kernel_equals_diagonal_scaling_entry_by_entry()
    {
        var rng = new Random(31);
        for (int trial = 0; trial < 20; trial++)
        {
            int n = rng.Next(1, 25);
            var u = Enumerable.Range(0, n).Select(_ => new Complex(Normal(rng), Normal(rng))).ToArray();
            var a = Hermitian(rng, n);
            a[0, Math.Min(1, n - 1)] += 3; // not Hermitian any more: the identity holds for every A
            var viaHadamard = DiagonalScaling.HadamardProduct(a, DiagonalScaling.OuterProduct(u));
            var viaScaling = DiagonalScaling.Apply(u, a);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    Assert.True((viaHadamard[i, j] - viaScaling[i, j]).Magnitude <= 1e-12 * (1 + viaHadamard[i, j].Magnitude), $"({i},{j})");
        }
    }

    [Fact]
    public void Single_frequency_rope_kernel_leaves_the_hermitian_spectrum_unchanged()
    {
        // (I-2): G_e = u u* with |u_m| = 1, so A ∘ G_e = D_u A D_u* is a unitary similarity.
        var rng = new Random(32);
        for (int trial = 0; trial < 12; trial++)
        {
            int n = rng.Next(2, 64);
            double theta = Math.Pow(10000, -2.0 * rng.Next(0, 8) / 16);
            var a = Hermitian(rng, n);
            var before = DenseEigen.HermitianEigenvalues(a);
            var after = DenseEigen.HermitianEigenvalues(DiagonalScaling.HadamardProduct(a, PositionalMatrices.RopeKernel(n, theta)));
            AllClose(before, after, 1e-10, $"n={n} θ={theta}");
        }
    }

    [Fact]
    public void A_kernel_with_non_unit_moduli_does_change_the_spectrum()
    {
        // The similarity argument needs |u_m| = 1; this pins that the test above is not vacuous.
        var rng = new Random(33);
        int n = 10;
        var a = Hermitian(rng, n);
        var u = Enumerable.Range(0, n).Select(m => Complex.FromPolarCoordinates(1 + 0.5 * m, 0.3 * m)).ToArray();
        var before = DenseEigen.HermitianEigenvalues(a);
        var after = DenseEigen.HermitianEigenvalues(DiagonalScaling.Apply(u, a));
        Assert.True(before.Zip(after).Max(p => Math.Abs(p.First - p.Second)) > 1e-3);
    }
}
