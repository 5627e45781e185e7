using PeTools.Core.Spectral;
using static PeTools.Core.Tests.Spectral.SpectralAssert;

namespace PeTools.Core.Tests.Spectral;

public class HouseholderEigenvaluesTests
{
    [Fact]
    public void Eigenvalues_equal_mathnet_evd_on_random_symmetric_matrices()
    {
        var rng = new Random(71);
        for (int trial = 0; trial < 20; trial++)
        {
            int n = rng.Next(1, 120);
            var a = Symmetric(rng, n);
            AllClose(DenseEigen.SymmetricEigenvalues(a), HouseholderEigenvalues.Compute(a), 1e-10, $"n={n}");
        }
    }

    [Fact]
    public void Threaded_path_gives_the_same_eigenvalues_as_one_thread()
    {
        // n above the parallel threshold, so the row split actually runs.
        var rng = new Random(72);
        var a = Symmetric(rng, 300);
        var one = HouseholderEigenvalues.Compute(a, threads: 1);
        var two = HouseholderEigenvalues.Compute(a, threads: 2);
        Assert.Equal(one, two); // lanes are fixed and summed in order: bit-identical, not just close
        AllClose(DenseEigen.SymmetricEigenvalues(a), two, 1e-10, "n=300");
    }

    [Fact]
    public void Already_tridiagonal_and_diagonal_inputs_are_handled()
    {
        // Zero columns below the sub-diagonal make τ = 0 at every step (the no-reflection branch).
        var diag = new double[5, 5];
        for (int i = 0; i < 5; i++) diag[i, i] = 5 - i;
        Assert.Equal([1.0, 2, 3, 4, 5], HouseholderEigenvalues.Compute(diag));
        var alibi = Toeplitz.Symmetric(PositionalMatrices.AlibiSymbol(64, 0.5));
        AllClose(DenseEigen.SymmetricEigenvalues(alibi), HouseholderEigenvalues.Compute(alibi), 1e-10, "ALiBi 64");
    }
}
