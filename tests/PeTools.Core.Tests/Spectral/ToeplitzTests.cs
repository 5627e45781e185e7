using System.Numerics;
using MathNet.Numerics.IntegralTransforms;
using PeTools.Core.Spectral;
using static PeTools.Core.Tests.Spectral.SpectralAssert;

namespace PeTools.Core.Tests.Spectral;

public class ToeplitzTests
{
    [Fact]
    public void Dense_toeplitz_entries_follow_first_column_below_and_first_row_above()
    {
        // Given a first column and a first row sharing the corner
        double[] column = [1, 2, 3, 4];
        double[] row = [1, -5, -6, -7];
        // When the matrix is built
        var t = Toeplitz.Dense(column, row);
        // Then every entry depends only on i − j
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                Assert.Equal(i >= j ? column[i - j] : row[j - i], t[i, j]);
    }

    [Fact]
    public void Dense_toeplitz_rejects_a_corner_mismatch()
    {
        Assert.Throws<ArgumentException>(() => Toeplitz.Dense([1.0, 2.0], [3.0, 4.0]));
    }

    [Fact]
    public void Hermitian_toeplitz_is_conjugate_symmetric_entry_by_entry()
    {
        var rng = new Random(3);
        var column = Enumerable.Range(0, 7).Select(k => k == 0 ? new Complex(2, 0) : new Complex(Normal(rng), Normal(rng))).ToArray();
        var t = Toeplitz.Hermitian(column);
        for (int i = 0; i < 7; i++)
            for (int j = 0; j < 7; j++)
            {
                Assert.Equal(i >= j ? column[i - j] : Complex.Conjugate(column[j - i]), t[i, j]);
                Assert.Equal(Complex.Conjugate(t[j, i]), t[i, j]);
            }
    }

    [Fact]
    public void Circulant_embedding_contains_the_toeplitz_matrix_as_its_leading_block()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 20; trial++)
        {
            int n = rng.Next(1, 30), m = 2 * n + rng.Next(0, 5);
            var column = Vector(rng, n);
            var row = Vector(rng, n);
            row[0] = column[0];
            var c = Toeplitz.CirculantEmbedding(column, row, m);
            var circulant = Toeplitz.Circulant(c.Select(x => new Complex(x, 0)).ToArray());
            var t = Toeplitz.Dense(column, row);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) Assert.Equal(t[i, j], circulant[i, j].Real);
        }
    }

    [Fact]
    public void Circulant_eigenvalues_are_the_dft_of_the_first_column()
    {
        var rng = new Random(7);
        for (int trial = 0; trial < 10; trial++)
        {
            // Given a Hermitian circulant (c_{n−k} = conj c_k), so its eigenvalues are real and sortable
            int n = rng.Next(2, 40);
            var c = new Complex[n];
            c[0] = Normal(rng);
            for (int k = 1; k <= n / 2; k++)
            {
                c[k] = new Complex(Normal(rng), Normal(rng));
                c[n - k] = Complex.Conjugate(c[k]);
            }
            if (n % 2 == 0) c[n / 2] = Normal(rng);
            // When both the dense EVD and MathNet's DFT run
            var evd = DenseEigen.HermitianEigenvalues(Toeplitz.Circulant(c));
            var dft = (Complex[])c.Clone();
            Fourier.Forward(dft, FourierOptions.Matlab);
            var fromDft = dft.Select(z => z.Real).OrderBy(x => x).ToArray();
            // Then they agree, and the DFT of a Hermitian sequence is real
            AllClose(fromDft, evd, 1e-10, $"n={n}");
            Assert.All(dft, z => Assert.True(Math.Abs(z.Imaginary) < 1e-9));
        }
    }

    [Fact]
    public void General_circulant_has_each_fourier_vector_as_eigenvector_with_the_dft_value()
    {
        var rng = new Random(8);
        int n = 12;
        var c = Enumerable.Range(0, n).Select(_ => new Complex(Normal(rng), Normal(rng))).ToArray();
        var circulant = Toeplitz.Circulant(c);
        var dft = (Complex[])c.Clone();
        Fourier.Forward(dft, FourierOptions.Matlab);
        for (int k = 0; k < n; k++)
        {
            // f_k[j] = e^{+2πijk/n}: C f_k = λ_k f_k with λ_k = Σ_j c_j e^{−2πijk/n}
            var f = Enumerable.Range(0, n).Select(j => Complex.FromPolarCoordinates(1, 2 * Math.PI * j * k / n)).ToArray();
            for (int i = 0; i < n; i++)
            {
                Complex cf = 0;
                for (int j = 0; j < n; j++) cf += circulant[i, j] * f[j];
                Assert.True((cf - dft[k] * f[i]).Magnitude < 1e-10, $"k={k} i={i}");
            }
        }
    }
}
