using System.Numerics;
using PeTools.Core.Spectral;
using static PeTools.Core.Tests.Spectral.SpectralAssert;

namespace PeTools.Core.Tests.Spectral;

public class SpectralBoundsTests
{
    [Fact]
    public void Schur_bound_holds_for_hadamard_with_psd_unit_diagonal_matrices()
    {
        var rng = new Random(51);
        for (int trial = 0; trial < 25; trial++)
        {
            // Given Hermitian A and a PSD B with unit diagonal, of random size and rank
            int n = rng.Next(2, 40);
            var a = Hermitian(rng, n);
            var b = CorrelationMatrix(rng, n, rng.Next(1, n + 1));
            var ev = DenseEigen.HermitianEigenvalues(a);
            // When the Hadamard product is formed
            var prod = DenseEigen.HermitianEigenvalues(DiagonalScaling.HadamardProduct(a, b));
            // Then its spectrum lies in [λ_min(A), λ_max(A)]
            var bound = SpectralBounds.Schur(ev[0], ev[^1]);
            Assert.True(bound.Contains(prod[0], prod[^1]), $"n={n}: [{prod[0]}, {prod[^1]}] ⊄ [{bound.Lower}, {bound.Upper}]");
        }
    }

    [Fact]
    public void Schur_bound_with_a_non_unit_diagonal_scales_by_the_diagonal_range()
    {
        var rng = new Random(52);
        for (int trial = 0; trial < 25; trial++)
        {
            int n = rng.Next(2, 30);
            var a = Hermitian(rng, n);
            var b = CorrelationMatrix(rng, n, rng.Next(1, n + 1));
            var scale = Enumerable.Range(0, n).Select(_ => 0.2 + 2 * rng.NextDouble()).ToArray();
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) b[i, j] *= Math.Sqrt(scale[i] * scale[j]); // D B D stays PSD, diag = scale
            var ev = DenseEigen.HermitianEigenvalues(a);
            var prod = DenseEigen.HermitianEigenvalues(DiagonalScaling.HadamardProduct(a, b));
            var bound = SpectralBounds.Schur(ev[0], ev[^1], scale.Min(), scale.Max());
            Assert.True(bound.Contains(prod[0], prod[^1]), $"n={n}");
        }
    }

    [Fact]
    public void Schur_bound_fails_for_an_indefinite_kernel_so_the_test_above_can_fail()
    {
        // Unit diagonal but not PSD: the contraction need not hold; find a counterexample in a seeded search.
        var rng = new Random(53);
        bool violated = false;
        for (int trial = 0; trial < 50 && !violated; trial++)
        {
            int n = 6;
            var a = Hermitian(rng, n);
            var b = Hermitian(rng, n);
            for (int i = 0; i < n; i++) b[i, i] = 1;
            var ev = DenseEigen.HermitianEigenvalues(a);
            var prod = DenseEigen.HermitianEigenvalues(DiagonalScaling.HadamardProduct(a, b));
            violated = !SpectralBounds.Schur(ev[0], ev[^1]).Contains(prod[0], prod[^1]);
        }
        Assert.True(violated);
    }

    [Fact]
    public void Weyl_bound_holds_for_sums_of_symmetric_matrices()
    {
        var rng = new Random(54);
        for (int trial = 0; trial < 25; trial++)
        {
            int n = rng.Next(1, 50);
            var a = Symmetric(rng, n);
            var b = Symmetric(rng, n);
            var sum = new double[n, n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) sum[i, j] = a[i, j] + 3 * b[i, j];
            var ea = DenseEigen.SymmetricEigenvalues(a);
            var eb = DenseEigen.SymmetricEigenvalues(b).Select(x => 3 * x).ToArray();
            var es = DenseEigen.SymmetricEigenvalues(sum);
            var bound = SpectralBounds.Weyl(new Interval(ea[0], ea[^1]), new Interval(eb[0], eb[^1]));
            Assert.True(bound.Contains(es[0], es[^1]), $"n={n}");
            // And the lower end is attained only if both minimisers coincide: the bound is never violated by more than rounding.
            Assert.True(es[0] >= ea[0] + eb[0] - 1e-10 && es[^1] <= ea[^1] + eb[^1] + 1e-10);
        }
    }

    [Fact]
    public void Grenander_szego_interval_contains_the_spectrum_of_random_symmetric_toeplitz()
    {
        var rng = new Random(55);
        for (int trial = 0; trial < 25; trial++)
        {
            int n = rng.Next(1, 120);
            var symbol = Vector(rng, n);
            var ev = DenseEigen.SymmetricEigenvalues(Toeplitz.Symmetric(symbol));
            var bound = SpectralBounds.GrenanderSzego(symbol);
            Assert.True(bound.Contains(ev[0], ev[^1]), $"n={n}: [{ev[0]}, {ev[^1]}] ⊄ [{bound.Lower}, {bound.Upper}]");
        }
    }

    [Fact]
    public void Grenander_szego_is_tight_for_large_n_when_the_symbol_is_smooth()
    {
        // f(ω) = 2 + 2 cos ω (symbol [2, 1, 0, …]) has range [0, 4]; T_n's extreme eigenvalues approach it.
        var symbol = new double[200];
        symbol[0] = 2;
        symbol[1] = 1;
        var ev = DenseEigen.SymmetricEigenvalues(Toeplitz.Symmetric(symbol));
        var bound = SpectralBounds.GrenanderSzego(symbol);
        // The rigorous Lipschitz slack (Σ 2k|t_k| · π/M = 2π/2048) is the only gap to the true range.
        Close(0, bound.Lower, 4e-3, "min f");
        Close(4, bound.Upper, 4e-3, "max f");
        Assert.True(ev[0] > 0 && ev[0] < 1e-3 && ev[^1] < 4 && ev[^1] > 4 - 1e-3);
    }

    [Fact]
    public void Gershgorin_discs_contain_the_spectrum_and_toeplitz_form_matches_dense_form()
    {
        var rng = new Random(56);
        for (int trial = 0; trial < 25; trial++)
        {
            int n = rng.Next(1, 60);
            var a = Symmetric(rng, n);
            var ev = DenseEigen.SymmetricEigenvalues(a);
            Assert.True(SpectralBounds.Gershgorin(a).Contains(ev[0], ev[^1]), $"n={n}");
            var symbol = Vector(rng, n);
            var viaToeplitz = SpectralBounds.GershgorinToeplitz(symbol);
            var viaDense = SpectralBounds.Gershgorin(Toeplitz.Symmetric(symbol));
            Close(viaDense.Lower, viaToeplitz.Lower, 1e-12, "lower");
            Close(viaDense.Upper, viaToeplitz.Upper, 1e-12, "upper");
        }
    }

    [Fact]
    public void Alibi_extreme_eigenvalues_grow_like_n_squared()
    {
        // (I-3): B = −m|i−j|; doubling n should multiply both extreme eigenvalues by ≈ 4.
        double slope = PositionalMatrices.AlibiSlope(3, 16, AlibiSlopes.Paper);
        double[] Extremes(int n)
        {
            var ev = DenseEigen.SymmetricEigenvalues(Toeplitz.Symmetric(PositionalMatrices.AlibiSymbol(n, slope)));
            return [ev[0], ev[^1]];
        }
        var small = Extremes(128);
        var large = Extremes(256);
        Assert.InRange(large[0] / small[0], 3.9, 4.1);
        Assert.InRange(large[1] / small[1], 3.9, 4.1);
        Assert.True(small[0] < 0 && small[1] > 0);
        // and the Grenander–Szegő lower end −m n(n−1) (at ω = 0) contains it
        Assert.True(SpectralBounds.GrenanderSzego(PositionalMatrices.AlibiSymbol(256, slope)).Contains(large[0], large[1]));
    }

    [Fact]
    public void Rope_logit_lies_in_the_per_frequency_schur_weyl_interval()
    {
        var rng = new Random(57);
        for (int trial = 0; trial < 12; trial++)
        {
            int n = rng.Next(2, 80), d = 2 * rng.Next(1, 9);
            var c = ContentInstance.Sample(n, 24, d, rng);
            var bound = ContentLogits.FrequencyBound(c);
            var rope = DenseEigen.SymmetricEigenvalues(Operators.ToDense(ContentLogits.Rope(c, PositionalMatrices.RopeFrequencies(d))));
            var nope = DenseEigen.SymmetricEigenvalues(Operators.ToDense(ContentLogits.Content(c)));
            Assert.True(bound.Contains(rope[0], rope[^1]), $"rope n={n} d={d}");
            Assert.True(bound.Contains(nope[0], nope[^1]), $"nope n={n} d={d}");
        }
    }

    [Fact]
    public void Interval_contains_uses_a_relative_tolerance()
    {
        var i = new Interval(-1, 1);
        Assert.True(i.Contains(-1 - 1e-12, 1));
        Assert.False(i.Contains(-1.001, 1));
        Assert.False(i.Contains(0, 1.001));
        _ = Complex.Zero;
    }
}
