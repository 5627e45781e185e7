using PeTools.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Training;

public class AdamWTests
{
    [Fact]
    public void Matches_TorchSharp_AdamW_step_for_step()
    {
        // Given two identical models, one stepped by our AdamW, one by TorchSharp's (the PyTorch algorithm)
        using var scope = NewDisposeScope();
        manual_seed(3);
        var ours = nn.Linear(6, 4);
        var theirs = nn.Linear(6, 4);
        theirs.load_state_dict(ours.state_dict());
        var opt = new AdamW(ours.named_parameters(), 0.98, 0.9, 1e-8, 1e-2);
        var reference = optim.AdamW(theirs.parameters(), lr: 1e-2, beta1: 0.98, beta2: 0.9, eps: 1e-8, weight_decay: 1e-2);

        // When both take 25 steps on the same batches
        for (int i = 0; i < 25; i++)
        {
            var x = randn(8, 6);
            opt.ZeroGrad();
            ours.call(x).pow(2).sum().backward();
            opt.Step(1e-2);
            reference.zero_grad();
            theirs.call(x).pow(2).sum().backward();
            reference.step();
        }

        // Then the weights agree to float32 rounding
        Assert.True(ours.weight!.allclose(theirs.weight!, rtol: 1e-5, atol: 1e-6));
        Assert.True(ours.bias!.allclose(theirs.bias!, rtol: 1e-5, atol: 1e-6));
        Assert.Equal(25, opt.StepCount);
        opt.Dispose();
    }
}
