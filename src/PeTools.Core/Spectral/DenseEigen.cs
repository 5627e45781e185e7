using System.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace PeTools.Core.Spectral;

/// <summary>
/// Dense eigenvalues and singular values through MathNet (the oracle every structured path is tested against).
/// The provider is fixed by <see cref="NumericsProvider.Select"/> before the first call.
/// </summary>
public static class DenseEigen
{
    /// <summary>Eigenvalues of the symmetric matrix <paramref name="a"/>, ascending. Only the lower triangle is trusted.</summary>
    public static double[] SymmetricEigenvalues(double[,] a)
    {
        _ = NumericsProvider.Current;
        var m = Matrix<double>.Build.DenseOfArray(DiagonalScaling.SymmetricPart(a));
        var values = m.Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).ToArray();
        Array.Sort(values);
        return values;
    }

    /// <summary>Eigenvalues of the Hermitian matrix <paramref name="a"/>, ascending.</summary>
    public static double[] HermitianEigenvalues(Complex[,] a)
    {
        _ = NumericsProvider.Current;
        var m = Matrix<Complex>.Build.DenseOfArray(DiagonalScaling.HermitianPart(a));
        var values = m.Evd(Symmetricity.Hermitian).EigenValues.Select(c => c.Real).ToArray();
        Array.Sort(values);
        return values;
    }

    /// <summary>Singular values, descending.</summary>
    public static double[] SingularValues(double[,] a)
    {
        _ = NumericsProvider.Current;
        var s = Matrix<double>.Build.DenseOfArray(a).Svd(computeVectors: false).S.ToArray();
        Array.Sort(s);
        Array.Reverse(s);
        return s;
    }

    public static double FrobeniusNorm(double[,] a)
    {
        double s = 0;
        foreach (var x in a) s += x * x;
        return Math.Sqrt(s);
    }
}
