using PeTools.Core.Tables;
using PeTools.Report.Claims;
using PeTools.Report.Inputs;
using PeTools.Report.Results;
using A = PeTools.Core.Tables.Schemas.AblationColumns;
using C = PeTools.Core.Tables.Schemas.ContractionColumns;
using H = PeTools.Core.Tables.Schemas.HessianColumns;
using M = PeTools.Core.Tables.Schemas.MetricsColumns;
using P = PeTools.Core.Tables.Schemas.PositionalVectorsColumns;
using Q = PeTools.Core.Tables.Schemas.ProbeColumns;

namespace PeTools.Report.Tests;

/// <summary>Small hand-made tables of every kind pe-report reads, as a test states them.</summary>
public sealed class Given
{
    private readonly List<LoadedTable> _tables = [];

    public static RunInfo Run(string task, string variant, long seed, int layers = 2, int heads = 4)
    {
        var parts = variant.Split('/', ':');
        int? k = variant.Contains(":k") ? int.Parse(variant[(variant.IndexOf(":k") + 2)..]) : null;
        return new RunInfo(task, parts[0], variant.Contains("/mla") ? "mla" : "mha", k, "reference", false, null, seed, layers, heads, "test");
    }

    /// <summary>A metrics table: one train and one test row per epoch 1..n (train accuracies default to the test ones).</summary>
    public Given Metrics(string task, string variant, long seed, double[] test, double[]? train = null)
    {
        var b = new TableBatchBuilder(Schemas.Metrics);
        for (int e = 0; e < test.Length; e++)
        {
            b.Add((M.Step, (long)(e + 1) * 10), (M.Epoch, e + 1.0), (M.Split, "train"), (M.Loss, 1.0), (M.Accuracy, (train ?? test)[e]), (M.Lr, 1e-3), (M.TokensPerSecond, 1.0));
            b.Add((M.Step, (long)(e + 1) * 10), (M.Epoch, e + 1.0), (M.Split, "test"), (M.Loss, 1.0), (M.Accuracy, test[e]), (M.Lr, 1e-3), (M.TokensPerSecond, 0.0));
        }
        return Add(b, Run(task, variant, seed), $"{task}-{variant}-s{seed}.metrics.csv");
    }

    /// <summary>Final test accuracy only (a one-epoch curve).</summary>
    public Given Final(string task, string variant, long seed, double test, double? train = null) =>
        Metrics(task, variant, seed, [test], train is { } t ? [t] : null);

    /// <summary>A head-ablation table (scope head, mode zero, split all) from drops[layer][head].</summary>
    public Given Ablation(string task, string variant, long seed, double[][] drops, double baseline = 0.9)
    {
        var b = new TableBatchBuilder(Schemas.Ablation);
        for (int l = 0; l < drops.Length; l++)
            for (int h = 0; h < drops[l].Length; h++)
                b.Add((A.Layer, l), (A.Head, h), (A.Mode, "zero"), (A.Scope, "head"), (A.Split, "all"), (A.BaselineAccuracy, baseline),
                    (A.Accuracy, baseline - drops[l][h]), (A.AccuracyDrop, drops[l][h]), (A.BaselineLoss, 1.0), (A.Loss, 1.0), (A.LossIncrease, 0.0));
        return Add(b, Run(task, variant, seed, drops.Length, drops[0].Length), $"{task}-{variant}-s{seed}.ablate.csv");
    }

    /// <summary>A positional-vector table: per layer (p_i accuracy, random mean, random std).</summary>
    public Given Posvec(string task, string variant, long seed, (double Pos, double Rnd, double Sd)[] layers, double baseline = 0.9)
    {
        var b = new TableBatchBuilder(Schemas.PositionalVectors);
        for (int l = 0; l < layers.Length; l++)
        {
            b.Add((P.Layer, l), (P.Kind, "positional"), (P.Stat, "draw"), (P.Draw, 0), (P.Accuracy, layers[l].Pos), (P.BaselineAccuracy, baseline));
            b.Add((P.Layer, l), (P.Kind, "random"), (P.Stat, "mean"), (P.Draw, -1), (P.Accuracy, layers[l].Rnd), (P.BaselineAccuracy, baseline));
            b.Add((P.Layer, l), (P.Kind, "random"), (P.Stat, "std"), (P.Draw, -1), (P.Accuracy, layers[l].Sd), (P.BaselineAccuracy, baseline));
        }
        return Add(b, Run(task, variant, seed, layers.Length), $"{task}-{variant}-s{seed}.posvec.csv");
    }

    /// <summary>A probes table with one quantity: values[step index][layer][head] at steps 0, 10, 20, ...</summary>
    public Given Probes(string task, string variant, long seed, string quantity, double[][][] values)
    {
        var b = new TableBatchBuilder(Schemas.Probes);
        for (int s = 0; s < values.Length; s++)
            for (int l = 0; l < values[s].Length; l++)
                for (int h = 0; h < values[s][l].Length; h++)
                    b.Add((Q.Step, (long)s * 10), (Q.Layer, l), (Q.Head, h), (Q.Quantity, quantity), (Q.Value, values[s][l][h]));
        return Add(b, Run(task, variant, seed), $"{task}-{variant}-s{seed}.probes.csv");
    }

    /// <summary>A contraction table: rows (pe, coupling, n, mean, ci_low, ci_high) of one statistic at d_head 16.</summary>
    public Given Contraction(string statistic, params (string Pe, string Coupling, int N, double Mean, double Low, double High)[] rows)
    {
        var b = new TableBatchBuilder(Schemas.Contraction);
        foreach (var r in rows)
            b.Add((C.Pe, r.Pe), (C.Coupling, r.Coupling), (C.N, r.N), (C.DHead, 16), (C.DModel, 64), (C.Norm, "matched"), (C.Instances, 50),
                (C.Statistic, statistic), (C.Mean, r.Mean), (C.CiLow, r.Low), (C.CiHigh, r.High), (C.Median, r.Mean), (C.Std, 0.1), (C.Finite, 50));
        _tables.Add(new LoadedTable("contraction.csv", Schemas.Contraction, b.Build(), null));
        return this;
    }

    /// <summary>A hessian table (long format): (pe, seed, step, value) rows of one quantity.</summary>
    public Given Hessian(string quantity, params (string Pe, long Seed, long Step, double Value)[] rows)
    {
        var b = new TableBatchBuilder(Schemas.Hessian);
        foreach (var r in rows)
            b.Add((H.Run, $"{r.Pe}-s{r.Seed}"), (H.Pe, r.Pe), (H.Seed, r.Seed), (H.Step, r.Step),
                (H.Epoch, r.Step / 10.0), (H.Scope, "model"), (H.Task, "distance"),
                (H.Dimension, 1000L), (H.Quantity, quantity),
                (H.Index, 0), (H.Value, r.Value));
        _tables.Add(new LoadedTable("hessian.csv", Schemas.Hessian, b.Build(), null));
        return this;
    }

    public Given Table(LoadedTable table)
    {
        _tables.Add(table);
        return this;
    }

    public ReportData Data(IReadOnlyList<Claim>? claims = null) => new(new InputSet(_tables, []), claims);

    /// <summary>The verdict of one rule (as written in a claims file) on these tables.</summary>
    public Verdict Verdict(string rule) => RuleParser.Parse(rule).Evaluate(Data());

    private Given Add(TableBatchBuilder b, RunInfo run, string path)
    {
        _tables.Add(new LoadedTable(path, b.Schema, b.Build(), run));
        return this;
    }
}
