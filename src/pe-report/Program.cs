using PeTools.Cli;
using PeTools.ReportTool.Commands;

// pe-report: a Markdown report, a self-contained HTML page and ScottPlot figures from any pe-tools tables.
return ToolApp.Run(ReportRoot.ToolName, ReportRoot.Build, args);
