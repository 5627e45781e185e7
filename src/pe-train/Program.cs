using System.CommandLine;
using PeTools.Cli;
using PeTools.Train.Commands;

return ToolApp.Run("pe-train", context =>
{
    var root = TrainCommand.Create(context);
    root.Add(ListPeCommand.Create(context));
    return root;
}, args);
