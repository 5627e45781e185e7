namespace PeTools.Report.Results;

/// <summary>Curves of several seeds merged on their x values: mean, min and max at every x some seed has.</summary>
public sealed record SeedBand(double[] Xs, double[] Mean, double[] Min, double[] Max, int Seeds)
{
    public static SeedBand Of(IReadOnlyList<IReadOnlyList<(double X, double Y)>> curves)
    {
        var byX = curves.SelectMany(c => c).Where(p => double.IsFinite(p.Y)).GroupBy(p => p.X).OrderBy(g => g.Key).ToList();
        return new SeedBand(
            byX.Select(g => g.Key).ToArray(),
            byX.Select(g => g.Average(p => p.Y)).ToArray(),
            byX.Select(g => g.Min(p => p.Y)).ToArray(),
            byX.Select(g => g.Max(p => p.Y)).ToArray(),
            curves.Count);
    }
}
