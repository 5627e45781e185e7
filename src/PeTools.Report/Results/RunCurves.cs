using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Core.Tasks;
using PeTools.Report.Inputs;
using M = PeTools.Core.Tables.Schemas.MetricsColumns;

namespace PeTools.Report.Results;

/// <summary>One evaluation point of a training curve.</summary>
public sealed record CurvePoint(double Epoch, long Step, double Accuracy, double Loss);

/// <summary>The train and test curves of one run (a metrics table), in epoch order.</summary>
public sealed record RunCurves(RunInfo Run, string Path, IReadOnlyList<CurvePoint> Train, IReadOnlyList<CurvePoint> Test)
{
    /// <summary>Accuracy of the last test row (NaN without one): the run's final test accuracy.</summary>
    public double FinalTest => Test.Count > 0 ? Test[^1].Accuracy : double.NaN;

    public double FinalTrain => Train.Count > 0 ? Train[^1].Accuracy : double.NaN;

    /// <summary>Epochs completed by the last row.</summary>
    public double Epochs => Math.Max(Test.Count > 0 ? Test[^1].Epoch : 0, Train.Count > 0 ? Train[^1].Epoch : 0);

    /// <summary>Final train minus final test accuracy: the generalisation gap.</summary>
    public double Gap => FinalTrain - FinalTest;

    /// <summary>The train/test curves of a metrics table; other splits (test-240, ...) are left out.</summary>
    public static RunCurves From(LoadedTable table)
    {
        var b = table.Rows;
        var (epoch, step, split) = (b.Float64(M.Epoch), b.Int64(M.Step), b.String(M.Split));
        var (acc, loss) = (b.Float64(M.Accuracy), b.Float64(M.Loss));
        List<CurvePoint> Of(string name)
        {
            var points = new List<CurvePoint>();
            for (int i = 0; i < b.RowCount; i++)
                if (split[i] == name)
                {
                    if (!double.IsFinite(epoch[i]))
                        throw InputError.AtRow(table.Path, i + 1, M.Epoch, "a finite number", epoch[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
                    points.Add(new CurvePoint(epoch[i], step[i], acc[i], loss[i]));
                }
            return points.OrderBy(p => p.Step).ThenBy(p => p.Epoch).ToList();
        }
        return new RunCurves(table.Run!, table.Path, Of(SyntheticTask.TrainSplit), Of(SyntheticTask.TestSplit));
    }
}
