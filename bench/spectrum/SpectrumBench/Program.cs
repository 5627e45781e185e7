using System.Diagnostics;
using System.Globalization;
using PeTools.Core.Spectral;

// Prints one tab-separated line per case: case, seconds, lambda_min, lambda_max, note. The matrices are
// defined by formulas that peer.py reproduces exactly, so both sides solve the same problem.
namespace PeTools.Bench.Spectrum;

public static class Program
{
    public static int Main(string[] args)
    {
        string only = args.Length > 0 ? args[0] : "all";
        Console.Error.WriteLine($"provider: {NumericsProvider.Select()}");
        if (only == "householder")
            foreach (int n in new[] { 512, 1024, 2048 })
            {
                var (th, eh) = Time(() => HouseholderEigenvalues.Compute(SinMatrix(n), Environment.ProcessorCount), 3);
                Emit($"eigvalsh-householder-{n}", th, eh[0], eh[^1], "probe");
            }
        if (only is "all" or "eigvalsh")
            foreach (int n in new[] { 512, 1024, 2048 })
            {
                var a = SinMatrix(n);
                var (t, ev) = Time(() => DenseEigen.SymmetricEigenvalues(a), n <= 1024 ? 5 : 1);
                Emit($"eigvalsh-{n}", t, ev[0], ev[^1], "MathNet managed EVD (computes eigenvectors too)");
                var (th, eh) = Time(() => HouseholderEigenvalues.Compute(a, Environment.ProcessorCount), 5);
                Emit($"eigvalsh-householder-{n}", th, eh[0], eh[^1], $"PeTools Householder+QL, eigenvalues only, {Environment.ProcessorCount} threads");
            }
        if (only is "all" or "toeplitz")
        {
            // Dense reference at the largest n that runs in reasonable time, then n³ extrapolation to 16384.
            int denseN = 2048;
            var denseSymbol = PositionalMatrices.AlibiSymbol(denseN, 1.0);
            var (td, evd) = Time(() => DenseEigen.SymmetricEigenvalues(Toeplitz.Symmetric(denseSymbol)), 1);
            Emit($"toeplitz-dense-{denseN}", td, evd[0], evd[^1], "MathNet dense EVD");
            var (ts, rs) = Time(() => Structured(denseN), 5);
            Emit($"toeplitz-structured-{denseN}", ts, rs.Min, rs.Max, $"FFT+Lanczos, {rs.Iterations} iterations");
            Emit("toeplitz-dense-16384-extrapolated", td * Math.Pow(16384.0 / denseN, 3), double.NaN, double.NaN, $"MathNet measured at {denseN} × (16384/{denseN})³");
            // Our fastest dense path at the largest n that fits a few seconds' budget, extrapolated the same way.
            int fastN = 4096;
            var fastSymbol = PositionalMatrices.AlibiSymbol(fastN, 1.0);
            var (tf, evf) = Time(() => HouseholderEigenvalues.Compute(Toeplitz.Symmetric(fastSymbol), Environment.ProcessorCount), 1);
            Emit($"toeplitz-householder-{fastN}", tf, evf[0], evf[^1], "PeTools Householder+QL dense");
            Emit("toeplitz-householder-16384-extrapolated", tf * Math.Pow(16384.0 / fastN, 3), double.NaN, double.NaN, $"Householder measured at {fastN} × (16384/{fastN})³");
            foreach (int n in new[] { 16384, 1 << 20 })
            {
                var (t, r) = Time(() => Structured(n), n <= 16384 ? 5 : 3);
                Emit($"toeplitz-structured-{n}", t, r.Min, r.Max, $"FFT+Lanczos, {r.Iterations} iterations, residuals {r.ResidualMin:E1}/{r.ResidualMax:E1}");
            }
        }
        return 0;
    }

    /// <summary>a_ij = sin(10⁻³ (i+1)(j+1)): symmetric, dense, reproducible in numpy with one line.</summary>
    private static double[,] SinMatrix(int n)
    {
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) a[i, j] = Math.Sin(1e-3 * (i + 1.0) * (j + 1.0));
        return a;
    }

    /// <summary>ALiBi B = −|i−j| (slope 1): extremes well separated, both growing like n².</summary>
    private static LanczosResult Structured(int n) =>
        Lanczos.Extremes(FftToeplitzOperator.Symmetric(PositionalMatrices.AlibiSymbol(n, 1.0)), new Random(0),
            new LanczosOptions(MaxIterations: 200, Tolerance: 1e-10));

    private static (double Seconds, T Result) Time<T>(Func<T> work, int repeats)
    {
        // Warm-up (JIT, first-touch allocation) only for repeated cases; one-shot cases take seconds, where it is noise.
        T result = repeats > 1 ? work() : default!;
        var times = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            result = work();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        // Best of k: on a shared, loaded machine the minimum is the least-disturbed estimate (peer.py does the same).
        return (times.Min(), result);
    }

    private static void Emit(string name, double seconds, double min, double max, string note) =>
        Console.WriteLine(string.Join('\t', name, F(seconds), F(min), F(max), note));

    private static string F(double x) => x.ToString("R", CultureInfo.InvariantCulture);
}
