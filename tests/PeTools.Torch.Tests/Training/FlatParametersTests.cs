using PeTools.Torch.Model;
using PeTools.Torch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using AdamW = PeTools.Torch.Training.AdamW;
using Transformer = PeTools.Torch.Model.Transformer;

namespace PeTools.Torch.Tests.Training;

/// <summary>The flat parameter and gradient buffers, and AdamW over them, against the per-tensor oracle.</summary>
public class FlatParametersTests
{
    private static (Transformer A, Transformer B) Twins(string pe = "relative", Architecture arch = Architecture.Reference)
    {
        manual_seed(11);
        var a = new Transformer(Tiny.Config(pe, arch));
        var b = new Transformer(Tiny.Config(pe, arch));
        b.load_state_dict(a.state_dict());
        a.eval();
        b.eval();
        return (a, b);
    }

    private static Tensor Loss(Transformer model, long seed) =>
        nn.functional.cross_entropy(model.call(Tiny.Tokens(5, 12, seed)), arange(5, dtype: int64) % 7);

    [Fact]
    public void Parameters_become_views_of_the_flat_buffer_with_their_values_kept()
    {
        // Given a model and a copy of its weights
        using var scope = NewDisposeScope();
        var (model, twin) = Twins();

        // When its parameters are flattened
        using var flat = new FlatParameters(model.named_parameters());

        // Then every value is kept, segments are aligned, and writing the flat buffer writes the parameters
        foreach (var (name, p) in twin.named_parameters())
            Assert.True(Tiny.Same(model.get_parameter(name)!, p), name);
        Assert.All(flat.Segments, s => Assert.Equal(0, s.Offset % FlatParameters.Alignment));
        Assert.Equal(flat.Segments.Sum(s => s.Count), model.parameters().Sum(p => p.numel()));
        using (no_grad()) flat.Data.fill_(0.25);
        Assert.All(model.parameters(), p => Assert.True(p.eq(0.25).all().item<bool>()));
    }

    [Fact]
    public void Backward_accumulates_into_the_flat_gradient_buffer_in_place()
    {
        // Given a flattened model and an unflattened twin
        using var scope = NewDisposeScope();
        var (model, twin) = Twins();
        using var flat = new FlatParameters(model.named_parameters());

        // When both run two backward passes without zeroing (the second must accumulate)
        for (int i = 0; i < 2; i++)
        {
            Loss(model, i).backward();
            flat.AdoptGradients();
            Loss(twin, i).backward();
        }

        // Then the flat buffer holds the twin's gradients, and each .grad is a view of it
        var twinGrads = twin.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        for (int i = 0; i < flat.Segments.Count; i++)
            Assert.True(Tiny.Same(flat.ViewOf(flat.Grad, i), twinGrads[flat.Segments[i].Name]), flat.Segments[i].Name);
        Assert.Single(flat.ActiveRuns);
        flat.ZeroGrad();
        Assert.All(model.parameters(), p => Assert.Equal(0.0, p.grad!.abs().sum().item<float>()));
        Loss(model, 5).backward(); // into the views, not into tensors autograd allocates
        Assert.True(flat.Grad.abs().sum().item<float>() > 0);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1e-2)]
    public void Flat_AdamW_is_bit_identical_to_the_per_tensor_AdamW_with_a_parameter_that_never_gets_a_gradient(double wd)
    {
        // Given two identical parameter lists where one linear layer never enters the loss
        using var scope = NewDisposeScope();
        manual_seed(5);
        var used = new[] { nn.Linear(6, 5), nn.Linear(5, 3) };
        var unused = nn.Linear(3, 3);
        var twins = new[] { nn.Linear(6, 5), nn.Linear(5, 3) };
        var twinUnused = nn.Linear(3, 3);
        twins[0].load_state_dict(used[0].state_dict());
        twins[1].load_state_dict(used[1].state_dict());
        twinUnused.load_state_dict(unused.state_dict());
        IEnumerable<(string, Parameter)> Named(Linear first, Linear dead, Linear second) =>
            first.named_parameters().Select(p => ("a." + p.name, p.parameter))
                .Concat(dead.named_parameters().Select(p => ("dead." + p.name, p.parameter)))
                .Concat(second.named_parameters().Select(p => ("b." + p.name, p.parameter)));
        using var flat = new FlatParameters(Named(used[0], unused, used[1]));
        using var fast = new FlatAdamW(flat, 0.98, 0.9, 1e-8, wd);
        using var oracle = new AdamW(Named(twins[0], twinUnused, twins[1]), 0.98, 0.9, 1e-8, wd);

        // When both take 30 steps on the same batches
        for (int i = 0; i < 30; i++)
        {
            var x = randn(4, 6);
            flat.ZeroGrad();
            used[1].call(used[0].call(x).tanh()).pow(2).sum().backward();
            flat.AdoptGradients();
            fast.Step(1e-2);
            oracle.ZeroGrad();
            twins[1].call(twins[0].call(x).tanh()).pow(2).sum().backward();
            oracle.Step(1e-2);
        }

        // Then every weight and moment is bit-identical, and the unused layer kept its weights (no decay, no step)
        Assert.True(Tiny.Same(used[0].weight!, twins[0].weight!) && Tiny.Same(used[1].bias!, twins[1].bias!));
        Assert.True(Tiny.Same(unused.weight!, twinUnused.weight!));
        Assert.Equal(2, flat.ActiveRuns.Count);
        var (s1, s2) = (fast.StateTensors(), oracle.StateTensors());
        Assert.Equal(s2.Keys.Order(), s1.Keys.Order());
        Assert.All(s2.Keys, k => Assert.True(Tiny.Same(s1[k], s2[k]), k));
    }

    [Fact]
    public void Flat_AdamW_matches_TorchSharp_AdamW_step_for_step()
    {
        // Given two identical models, one stepped by the flat AdamW, one by TorchSharp's (the PyTorch algorithm)
        using var scope = NewDisposeScope();
        manual_seed(3);
        var ours = nn.Linear(6, 4);
        var theirs = nn.Linear(6, 4);
        theirs.load_state_dict(ours.state_dict());
        using var flat = new FlatParameters(ours.named_parameters());
        using var opt = new FlatAdamW(flat, 0.98, 0.9, 1e-8, 1e-2);
        var reference = optim.AdamW(theirs.parameters(), lr: 1e-2, beta1: 0.98, beta2: 0.9, eps: 1e-8, weight_decay: 1e-2);

        // When both take 25 steps on the same batches
        for (int i = 0; i < 25; i++)
        {
            var x = randn(8, 6);
            flat.ZeroGrad();
            ours.call(x).pow(2).sum().backward();
            flat.AdoptGradients();
            opt.Step(1e-2);
            reference.zero_grad();
            theirs.call(x).pow(2).sum().backward();
            reference.step();
        }

        // Then the weights agree to float32 rounding
        Assert.True(ours.weight!.allclose(theirs.weight!, rtol: 1e-5, atol: 1e-6));
        Assert.True(ours.bias!.allclose(theirs.bias!, rtol: 1e-5, atol: 1e-6));
        Assert.Equal(25, opt.StepCount);
    }

    [Fact]
    public void Flat_state_loads_from_the_per_tensor_checkpoint_names()
    {
        // Given a per-tensor AdamW that has stepped, and a fresh flat one on an identical model
        using var scope = NewDisposeScope();
        var (model, twin) = Twins("rope");
        using var oracle = new AdamW(twin.named_parameters(), 0.9, 0.99, 1e-8, 0.0);
        Loss(twin, 1).backward();
        oracle.Step(1e-3);
        using var flat = new FlatParameters(model.named_parameters());
        using var fast = new FlatAdamW(flat, 0.9, 0.99, 1e-8, 0.0);

        // When the flat one loads the per-tensor state by name (what a checkpoint holds)
        fast.LoadState(oracle.StateTensors(), oracle.StepCount);

        // Then every named moment reads back equal
        var loaded = fast.StateTensors();
        Assert.All(oracle.StateTensors(), kv => Assert.True(Tiny.Same(loaded[kv.Key], kv.Value), kv.Key));
        Assert.Equal(1, fast.StepCount);
    }
}
