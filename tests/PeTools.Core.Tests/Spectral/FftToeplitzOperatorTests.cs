using PeTools.Core.Spectral;
using static PeTools.Core.Tests.Spectral.SpectralAssert;

namespace PeTools.Core.Tests.Spectral;

public class FftToeplitzOperatorTests
{
    [Fact]
    public void Fft_toeplitz_matvec_equals_dense_for_random_sizes()
    {
        var rng = new Random(21);
        for (int trial = 0; trial < 40; trial++)
        {
            // Given a random, generally non-symmetric Toeplitz matrix of random size
            int n = rng.Next(1, 300);
            var column = Vector(rng, n);
            var row = Vector(rng, n);
            row[0] = column[0];
            var dense = Toeplitz.Dense(column, row);
            var op = new FftToeplitzOperator(column, row);
            var x = Vector(rng, n);
            // When it multiplies through the circulant embedding, and its transpose too
            var y = new double[n];
            var yt = new double[n];
            op.Apply(x, y);
            op.ApplyTranspose(x, yt);
            // Then both equal the dense products
            AllClose(Apply(dense, x), y, 1e-12 * n, $"T x, n={n}");
            AllClose(Apply(Transpose(dense), x), yt, 1e-12 * n, $"Tᵀ x, n={n}");
            Assert.Equal(column.SequenceEqual(row), op.IsSymmetric);
        }
    }

    [Fact]
    public void Embedding_size_is_a_power_of_two_at_least_twice_n()
    {
        foreach (int n in new[] { 1, 2, 3, 100, 1024, 1025 })
        {
            var op = FftToeplitzOperator.Symmetric(new double[n]);
            Assert.True(op.EmbeddingSize >= 2 * n && (op.EmbeddingSize & (op.EmbeddingSize - 1)) == 0, $"n={n}: {op.EmbeddingSize}");
        }
    }

    private static double[,] Transpose(double[,] a)
    {
        int n = a.GetLength(0);
        var t = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) t[j, i] = a[i, j];
        return t;
    }
}
