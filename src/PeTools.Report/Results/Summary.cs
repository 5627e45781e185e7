using System.Globalization;
using MathNet.Numerics.Statistics;

namespace PeTools.Report.Results;

/// <summary>Mean, sample standard deviation, range and count of some numbers (one value per seed, usually).</summary>
public readonly record struct Summary(double Mean, double Std, double Min, double Max, int N)
{
    public static readonly Summary Empty = new(double.NaN, double.NaN, double.NaN, double.NaN, 0);

    /// <summary>Summarises the finite values (NaN and ±∞ are left out); std is 0 for one value.</summary>
    public static Summary Of(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToArray();
        return v.Length switch
        {
            0 => Empty,
            1 => new(v[0], 0, v[0], v[0], 1),
            _ => new(v.Mean(), v.StandardDeviation(), v.Min(), v.Max(), v.Length),
        };
    }

    /// <summary><c>0.287 ± 0.060 (n=3)</c>, <c>0.355 (n=1)</c>, or <c>–</c> with no value.</summary>
    public string Format(int digits = 3) => N switch
    {
        0 => "–",
        1 => $"{Num(Mean, digits)} (n=1)",
        _ => $"{Num(Mean, digits)} ± {Num(Std, digits)} (n={N})",
    };

    public static string Num(double x, int digits = 3) =>
        double.IsNaN(x) ? "NaN" : double.IsInfinity(x) ? (x > 0 ? "∞" : "−∞") : x.ToString("F" + digits, CultureInfo.InvariantCulture);
}
