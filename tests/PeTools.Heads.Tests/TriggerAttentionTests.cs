using PeTools.Core.Logging;
using PeTools.Torch.Heads;
using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Heads.Tests;

public class TriggerAttentionTests
{
    [Fact]
    public void Triggers_are_the_tokens_that_occur_exactly_once_in_every_row()
    {
        // Given rows where 1 and 2 occur once each, 5 once in one row but twice in another, 0 is padding
        var tokens = tensor(new long[] { 3, 1, 4, 2, 5, 0, 1, 5, 2, 5, 3, 4, 6, 2, 1, 7, 0, 0 }, [3, 6]);

        // When the triggers are found
        var found = TriggerAttention.FindTriggers(tokens, padId: 0);

        // Then they are 1 and 2
        Assert.Equal([1, 2], found);
    }

    [Fact]
    public void Uniform_attention_between_triggers_is_exactly_the_uniform_baseline()
    {
        // Given a NoPE model whose logits are constant (W_Q = W_K = 0) and rows with triggers 1 and 2
        using var model = Planted.RandomModel(Planted.Config("nope"));
        using (no_grad())
        {
            Planted.Param(model, "blocks.0.attn.q_proj.weight").zero_();
            Planted.Param(model, "blocks.0.attn.k_proj.weight").zero_();
        }
        var tokens = randint(3, Planted.Vocab, [6, Planted.Length], dtype: ScalarType.Int64);
        for (int r = 0; r < 6; r++)
        {
            tokens[r, r % 4] = tensor(1L);
            tokens[r, 4 + r % 3] = tensor(2L);
        }
        using var data = new SplitTensors("all", tokens, zeros(6, dtype: ScalarType.Int64), Planted.Length);

        // When the attention from each trigger to the other is measured for heads 0 and 3 of layer 0
        var rows = TriggerAttention.Measure(model, data, 0, [0, 3], 1, 2, 4, SilentLog.Instance);

        // Then both directions, both heads: weight = 1/T = uniform, ratio 1, over all 6 rows
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r =>
        {
            Assert.Equal(1.0 / Planted.Length, r.Uniform, 12);
            Assert.Equal(1.0, r.Ratio, 5);
            Assert.Equal(6, r.Sequences);
        });
        Assert.Equal([(1, 2), (2, 1)], rows.Where(r => r.Head == 3).Select(r => (r.From, r.To)));
    }
}
