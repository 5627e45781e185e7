using System.CommandLine;
using PeTools.Cli;
using PeTools.Train.Commands;

return ToolApp.Run("pe-train", context =>
{
    var root = TrainCommand.Create(context);
    root.Add(ListPeCommand.Create(context));
    root.Add(PredictCommand.Create(context));
    root.Add(BenchCommand.Create(context));
    root.Add(CheckCommand.Create(context));
    root.Add(SweepCommand.Create(context));
    return root;
}, args);
