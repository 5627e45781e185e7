using MathNet.Numerics.LinearAlgebra;
using PeTools.Core.Spectral;
using PeTools.Torch.Heads;
using PeTools.Torch.Model;
using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Spectrum.Tests;

/// <summary>pe-spectrum logits' capture and measurements on hand-built CPU models (no training).</summary>
public class LogitsTests
{
    private const int Pad = 0;

    private static Transformer Model(string pe, bool zeroQueryKey = false, long seed = 3)
    {
        manual_seed(seed);
        var model = new Transformer(new TransformerConfig
        {
            Vocab = 20,
            Classes = 5,
            DModel = 16,
            DFF = 16,
            Heads = 4,
            Layers = 2,
            MaxLen = 8,
            Dropout = 0,
            Pe = pe,
        });
        model.eval();
        if (zeroQueryKey)
        {
            using var _ = no_grad();
            foreach (var (name, p) in model.named_parameters())
                if (name.Contains(".q_proj.") || name.Contains(".k_proj.")) p.zero_();
        }
        return model;
    }

    private static SplitTensors Rows(long[][] rows)
    {
        long t = rows.Max(r => r.Length);
        var flat = rows.SelectMany(r => r.Concat(Enumerable.Repeat((long)Pad, (int)(t - r.Length)))).ToArray();
        var tokens = tensor(flat, [rows.Length, t]);
        return new SplitTensors("test", tokens, zeros(rows.Length, dtype: ScalarType.Int64), (int)t);
    }

    private static List<LogitSample> Capture(Transformer model, long[][] rows, int[] layers, bool parts = true)
    {
        var samples = new List<LogitSample>();
        using var data = Rows(rows);
        LogitCapture.Run(model, data, layers, rows.Length, batchSize: 2, parts, samples.Add);
        return samples;
    }

    private static readonly long[][] Sequences = [[5, 6, 7, 8, 9, 10, 11, 12], [3, 9, 4, 4, 2, 7, 1, 13], [2, 3, 4, 5, 6, 7, 8, 9]];

    [Fact]
    public void Toeplitz_share_is_one_for_pure_alibi_logits_and_below_one_with_content()
    {
        // Given ALiBi models, one with zero W_Q/W_K (logits = B exactly), one with its random projections
        using var pure = Model("alibi", zeroQueryKey: true);
        using var content = Model("alibi");

        // When their logits are captured
        var pureShares = Capture(pure, Sequences, [0, 1]).Select(s => LogitMatrixStats.ToeplitzShare(s.Logit)).ToList();
        var contentShares = Capture(content, Sequences, [0, 1]).Select(s => LogitMatrixStats.ToeplitzShare(s.Logit)).ToList();

        // Then every pure matrix is Toeplitz, and content pulls every matrix off the Toeplitz subspace
        Assert.Equal(3 * 4 * 2, pureShares.Count);
        Assert.All(pureShares, v => Assert.Equal(1.0, v, 12));
        Assert.All(contentShares, v => Assert.InRange(v, 0.0, 1.0 - 1e-6));
    }

    [Fact]
    public void Eigen_and_singular_quantities_of_a_hooked_logit_equal_MathNet_on_the_same_matrix()
    {
        // Given one hooked logit matrix of a sinusoidal model
        using var model = Model("sinusoidal");
        var s = Capture(model, Sequences, [1])[5];

        // When it is measured, and MathNet computes EVD of (A + Aᵀ)/2 and SVD of A directly
        var q = LogitMatrixStats.Measure(s.Logit).ToDictionary(x => x.Quantity, x => x.Value);
        var a = Matrix<double>.Build.DenseOfArray(s.Logit);
        var ev = (a + a.Transpose()).Divide(2).Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).OrderBy(x => x).ToArray();
        var sv = a.Svd(false).S.ToArray();

        // Then the extremes, spread, norm and condition agree to 1e-10 relative
        double scale = sv.Max();
        Assert.Equal(ev[0] / scale, q[LogitMatrixStats.LambdaMin] / scale, 10);
        Assert.Equal(ev[^1] / scale, q[LogitMatrixStats.LambdaMax] / scale, 10);
        Assert.Equal((ev[^1] - ev[0]) / scale, q[LogitMatrixStats.Spread] / scale, 10);
        Assert.Equal(1.0, q[LogitMatrixStats.SpectralNorm] / sv.Max(), 10);
        Assert.Equal(1.0, q[LogitMatrixStats.ConditionSingular] / (sv.Max() / sv.Min()), 8);
        Assert.Equal(1.0, q[LogitMatrixStats.FrobeniusNorm] / a.FrobeniusNorm(), 10);
    }

    [Fact]
    public void Padding_positions_are_excluded_and_real_positions_are_unchanged()
    {
        // Given the same three-token sequence padded to eight and unpadded (layer 0 keys/queries are per position)
        using var model = Model("sinusoidal");
        var padded = Capture(model, [[5, 6, 7, 0, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6, 7, 8]], [0]);
        var bare = Capture(model, [[5, 6, 7]], [0]);

        // When the first sequence's matrices are compared
        var first = padded.Where(s => s.Sequence == 0).ToList();

        // Then they are 3×3 and equal to the unpadded ones; the full row keeps 8×8
        Assert.Equal(4, first.Count);
        for (int h = 0; h < 4; h++)
        {
            Assert.Equal(3, first[h].Logit.GetLength(0));
            Assert.Equal(3, first[h].Logit.GetLength(1));
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) Assert.Equal(bare[h].Logit[i, j], first[h].Logit[i, j], 5);
        }
        Assert.All(padded.Where(s => s.Sequence == 1), s => Assert.Equal(8, s.Logit.GetLength(0)));
    }

    [Theory]
    [InlineData("sinusoidal", new[] { LogitCapture.PartQueryContentKey, LogitCapture.PartQueryPositionKey })]
    [InlineData("alibi", new[] { LogitCapture.PartQueryContentKey, LogitCapture.PartQueryPositionKey, LogitCapture.PartBias })]
    [InlineData("rope", new string[0])]
    public void Parts_add_up_to_the_hooked_logit_where_the_PE_allows_a_split(string pe, string[] expected)
    {
        // Given a Reference-architecture model
        using var model = Model(pe);

        // When its logits are captured with parts
        var samples = Capture(model, Sequences, [0, 1]);

        // Then the parts are those the PE allows, and they sum to the logit (float32 accuracy)
        Assert.All(samples, s =>
        {
            Assert.Equal(expected, s.Parts.Select(p => p.Part).ToArray());
            if (expected.Length == 0) return;
            int n = s.Logit.GetLength(0);
            var rest = (double[,])s.Logit.Clone();
            foreach (var (_, m) in s.Parts)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) rest[i, j] -= m[i, j];
            Assert.True(Math.Sqrt(LogitMatrixStats.EnergyShare(rest, s.Logit)) < 1e-5);
        });
    }

    [Fact]
    public void Toeplitz_share_of_a_diagonal_mean_projection_is_exact()
    {
        // Given a 3×3 matrix with known diagonals
        double[,] a = { { 1, 2, 0 }, { 0, 3, 4 }, { 5, 0, 5 } };

        // When its Toeplitz share is computed
        double share = LogitMatrixStats.ToeplitzShare(a);

        // Then it equals Σ_offset count·mean² / ‖A‖²: main (1,3,5) mean 3 → 27; +1 (2,4) → 18; +2 (0) → 0; −1 (0,0) → 0; −2 (5) → 25
        Assert.Equal((27.0 + 18 + 0 + 0 + 25) / (1 + 4 + 9 + 16 + 25 + 25), share, 12);
    }

    [Fact]
    public void A_missing_run_is_exit_2_with_one_line()
    {
        // Given no run directory
        // When logits is asked for it
        var r = SpectrumRun.Of("logits", "/nonexistent/run", "--data", "d.csv", "-o", "-");

        // Then exit 2, one line naming the run directory, nothing on stdout
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Contains("pe-spectrum: ", r.Stderr);
        Assert.Contains("config.json", r.Stderr);
        Assert.Equal("", r.Stdout);
    }
}
