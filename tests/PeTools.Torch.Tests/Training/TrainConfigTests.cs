using PeTools.Torch.Training;

namespace PeTools.Torch.Tests.Training;

public class TrainConfigTests
{
    [Theory]
    [InlineData(0, 512, 128, 4096)]   // the paper's config: 2^19 tokens
    [InlineData(0, 64, 512, 1024)]    // longer rows, fewer of them
    [InlineData(0, 8192, 128, 8192)]  // never fewer than the training batch
    [InlineData(300, 512, 128, 300)]  // as given
    public void Evaluation_batches_hold_about_half_a_million_tokens_unless_given(int given, int batch, long length, int rows) =>
        Assert.Equal(rows, new TrainConfig { EvalBatchSize = given, BatchSize = batch }.EvalRows(length));
}
