using System.Numerics;
using System.Runtime.InteropServices;

namespace PeTools.Core.Spectral;

/// <summary>
/// The level-1 kernels Lanczos spends its time in at n = 2^20 (dot products and axpy over 8 MB vectors),
/// written with <see cref="Vector{T}"/> because the JIT does not vectorise the plain loops.
/// </summary>
internal static class Blas
{
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length) throw new ArgumentException("length mismatch");
        var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
        var vy = MemoryMarshal.Cast<double, Vector<double>>(y);
        var acc = Vector<double>.Zero;
        for (int i = 0; i < vx.Length; i++) acc += vx[i] * vy[i];
        double s = Vector.Sum(acc);
        for (int i = vx.Length * Vector<double>.Count; i < x.Length; i++) s += x[i] * y[i];
        return s;
    }

    /// <summary>y ← y + a x.</summary>
    public static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        if (x.Length != y.Length) throw new ArgumentException("length mismatch");
        var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
        var vy = MemoryMarshal.Cast<double, Vector<double>>(y);
        var va = new Vector<double>(a);
        for (int i = 0; i < vx.Length; i++) vy[i] += va * vx[i];
        for (int i = vx.Length * Vector<double>.Count; i < x.Length; i++) y[i] += a * x[i];
    }

    public static void Scale(double a, Span<double> y)
    {
        var vy = MemoryMarshal.Cast<double, Vector<double>>(y);
        var va = new Vector<double>(a);
        for (int i = 0; i < vy.Length; i++) vy[i] *= va;
        for (int i = vy.Length * Vector<double>.Count; i < y.Length; i++) y[i] *= a;
    }

    public static double Norm(ReadOnlySpan<double> x) => Math.Sqrt(Dot(x, x));
}
