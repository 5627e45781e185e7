using System.Numerics;

namespace PeTools.Core.Tests.Spectral;

/// <summary>Seeded random matrices and tolerance comparisons shared by the spectral tests.</summary>
internal static class SpectralAssert
{
    public static void Close(double expected, double actual, double relative, string what)
    {
        double scale = Math.Max(1.0, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= relative * scale,
            $"{what}: expected {expected:R}, got {actual:R} (|Δ| = {Math.Abs(expected - actual):E2}, tolerance {relative * scale:E2})");
    }

    public static void AllClose(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double relative, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        double scale = Math.Max(1.0, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * scale,
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    public static double Normal(Random r)
    {
        double u1 = 1.0 - r.NextDouble(), u2 = r.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public static double[] Vector(Random r, int n) => Enumerable.Range(0, n).Select(_ => Normal(r)).ToArray();

    public static double[,] Symmetric(Random r, int n)
    {
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) a[i, j] = a[j, i] = Normal(r);
        return a;
    }

    public static Complex[,] Hermitian(Random r, int n)
    {
        var a = new Complex[n, n];
        for (int i = 0; i < n; i++)
        {
            a[i, i] = Normal(r);
            for (int j = 0; j < i; j++)
            {
                a[i, j] = new Complex(Normal(r), Normal(r));
                a[j, i] = Complex.Conjugate(a[i, j]);
            }
        }
        return a;
    }

    /// <summary>B = V V* with unit-norm rows of V: PSD with unit diagonal (the class G_e belongs to).</summary>
    public static Complex[,] CorrelationMatrix(Random r, int n, int rank)
    {
        var v = new Complex[n, rank];
        for (int i = 0; i < n; i++)
        {
            double norm = 0;
            for (int k = 0; k < rank; k++)
            {
                v[i, k] = new Complex(Normal(r), Normal(r));
                norm += v[i, k].Magnitude * v[i, k].Magnitude;
            }
            for (int k = 0; k < rank; k++) v[i, k] /= Math.Sqrt(norm);
        }
        var b = new Complex[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int k = 0; k < rank; k++) b[i, j] += v[i, k] * Complex.Conjugate(v[j, k]);
        return b;
    }

    public static double[] Apply(double[,] a, double[] x)
    {
        var y = new double[x.Length];
        new PeTools.Core.Spectral.DenseOperator(a).Apply(x, y);
        return y;
    }
}
