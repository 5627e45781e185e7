using System.CommandLine;
using PeTools.Cli;
using PeTools.Heads.Commands;

return ToolApp.Run("pe-heads", context =>
{
    var root = new RootCommand("Head-level analysis of pe-train runs: which heads carry position, and how they use it.");
    root.Add(AblateCommand.Create(context));
    root.Add(DepositCommand.Create(context));
    root.Add(MapsCommand.Create(context));
    root.Add(StatsCommand.Create(context));
    root.Add(PosvecCommand.Create(context));
    root.Add(DynamicsCommand.Create(context));
    root.Add(PatternCommand.Create(context));
    return root;
}, args);
