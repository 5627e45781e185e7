using PeTools.Cli;
using PeTools.GenTask.Commands;

// pe-gen-task: writes the synthetic datasets of the paper's tasks (and length-generalisation splits) as tables.
return ToolApp.Run(GenTaskRoot.ToolName, GenTaskRoot.Build, args);
