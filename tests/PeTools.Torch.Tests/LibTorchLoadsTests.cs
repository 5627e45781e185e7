using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests;

public class LibTorchLoadsTests
{
    [Fact]
    public void Forward_and_backward_run_on_this_machine()
    {
        // Given a tiny linear model (this is the test that the GLIBCXX weakening made libLibTorchSharp.so loadable)
        using var scope = NewDisposeScope();
        torch.manual_seed(0);
        var lin = nn.Linear(4, 3);
        var x = randn(5, 4);

        // When we run forward and backward
        var loss = lin.call(x).pow(2).mean();
        loss.backward();

        // Then the gradient exists and equals the analytic one: d/dW mean((Wx+b)^2) = 2/(N*3) * (Wx+b)^T x
        var y = lin.call(x).detach();
        var expected = y.t().matmul(x).mul(2.0 / (5 * 3));
        Assert.True(lin.weight!.grad!.allclose(expected, rtol: 1e-5, atol: 1e-6));
    }
}
