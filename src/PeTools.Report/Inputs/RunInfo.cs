using System.Globalization;

namespace PeTools.Report.Inputs;

/// <summary>
/// Which training run a table belongs to: the task it was trained on, its PE variant and its seed. Tables of one
/// (task, variant) with different seeds are aggregated (mean, std, min–max) by every section.
/// </summary>
/// <param name="Task">task key (distance, count) or, for datasets pe-gen-task did not make, the data file's stem</param>
/// <param name="Pe">the --pe key</param>
/// <param name="Attention">mha or mla</param>
/// <param name="RopeHeads">--rope-heads K (partial RoPE), or null for every head</param>
/// <param name="Arch">reference or standard</param>
/// <param name="Causal">--causal</param>
/// <param name="PeLayers">--pe-layers as written (e.g. "0,1"), or null for every layer</param>
/// <param name="Seed">--seed</param>
/// <param name="Layers">the model's layer count, when known</param>
/// <param name="Heads">the model's head count, when known</param>
/// <param name="Source">where the identity came from: table metadata, config.json or the file name</param>
public sealed record RunInfo(string Task, string Pe, string Attention, int? RopeHeads, string Arch, bool Causal, string? PeLayers,
    long Seed, int? Layers, int? Heads, string Source)
{
    public const string DefaultAttention = "mha";
    public const string DefaultArch = "reference";

    /// <summary>
    /// The variant's label, used in every table, legend and claim rule: <c>pe[/mla][:kK][:Llayers][@standard][+causal]</c>,
    /// e.g. <c>rope</c>, <c>rope/mla</c>, <c>rope:k2</c> (RoPE on the first 2 heads).
    /// </summary>
    public string Variant => VariantLabel(Pe, Attention, RopeHeads, PeLayers, Arch, Causal);

    /// <summary>task/variant/sSEED, unique per run.</summary>
    public string Name => $"{Task}/{Variant}/s{Seed.ToString(CultureInfo.InvariantCulture)}";

    public static string VariantLabel(string pe, string attention, int? ropeHeads, string? peLayers, string arch, bool causal) =>
        pe
        + (attention == DefaultAttention ? "" : "/" + attention)
        + (ropeHeads is { } k ? ":k" + k.ToString(CultureInfo.InvariantCulture) : "")
        + (peLayers is null ? "" : ":L" + peLayers)
        + (arch == DefaultArch ? "" : "@" + arch)
        + (causal ? "+causal" : "");
}
