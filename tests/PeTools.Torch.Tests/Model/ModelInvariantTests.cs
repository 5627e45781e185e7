using PeTools.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Model;

/// <summary>What every PE must give the trainer, in both architectures (driven by the registry).</summary>
public class ModelInvariantTests
{
    [Theory]
    [MemberData(nameof(Tiny.AllPesInBothArchitectures), MemberType = typeof(Tiny))]
    public void Forward_returns_one_row_of_class_logits_per_sequence(string key, Architecture arch)
    {
        // Given a model and a right-padded batch
        using var scope = NewDisposeScope();
        using var model = new Transformer(Tiny.Config(key, arch));
        var tokens = Tiny.Tokens(3, 9, seed: 1);
        tokens[1, TensorIndex.Slice(5)] = tensor(0L);

        // When it runs
        var logits = model.call(tokens);

        // Then the logits are (B, Classes), float32 and finite
        Assert.Equal([3L, 7L], logits.shape);
        Assert.Equal(ScalarType.Float32, logits.dtype);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Theory]
    [MemberData(nameof(Tiny.AllPesInBothArchitectures), MemberType = typeof(Tiny))]
    public void Backward_gives_every_parameter_a_finite_gradient(string key, Architecture arch)
    {
        // Given a model in training mode and a loss on a padded batch
        using var scope = NewDisposeScope();
        using var model = new Transformer(Tiny.Config(key, arch));
        model.train();
        var tokens = Tiny.Tokens(4, 11, seed: 2);
        tokens[0, TensorIndex.Slice(8)] = tensor(0L);
        var loss = nn.functional.cross_entropy(model.call(tokens), tensor(new long[] { 1, 2, 3, 4 }));

        // When it is back-propagated
        loss.backward();

        // Then every parameter has a finite gradient, and a learned PE's parameters actually receive signal
        foreach (var (name, parameter) in model.named_parameters())
        {
            var grad = parameter.grad;
            Assert.True(grad is not null, $"{name}: no gradient");
            Assert.True(grad.isfinite().all().item<bool>(), $"{name}: non-finite gradient");
            if (name.StartsWith("pe.")) Assert.True(grad.abs().sum().item<float>() > 0, $"{name}: zero gradient");
        }
    }

    [Theory]
    [MemberData(nameof(Tiny.AllPes), MemberType = typeof(Tiny))]
    public void Twenty_training_steps_leak_no_tensors(string key)
    {
        // Given a model and one dispose scope per step, as the trainer runs it
        using var model = new Transformer(Tiny.Config(key, Architecture.Standard) with { Causal = true });
        model.train();
        var live = new List<long>();

        // When 20 steps of forward, backward and gradient reset run
        for (var step = 0; step < 20; step++)
        {
            using (var scope = NewDisposeScope())
            {
                var tokens = Tiny.Tokens(2, 8, seed: step);
                var loss = nn.functional.cross_entropy(model.call(tokens), tensor(new long[] { 1, 2 }));
                loss.backward();
                model.zero_grad();
            }
            live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }

        // Then the number of live tensors is the same after every step
        Assert.All(live, count => Assert.Equal(live[0], count));
    }

    [Theory]
    [MemberData(nameof(Tiny.AllPesInBothArchitectures), MemberType = typeof(Tiny))]
    public void Composite_attention_equals_fused_attention_at_eval(string key, Architecture arch)
    {
        // Given a float32 model in eval mode, causal, and a padded batch
        using var scope = NewDisposeScope();
        using var model = Tiny.Model(Tiny.Config(key, arch) with { Causal = true }, float64: false);
        var tokens = Tiny.Tokens(3, 10, seed: 3);
        tokens[2, TensorIndex.Slice(6)] = tensor(0L);
        using var _ = no_grad();
        var fused = model.call(tokens);

        // When a hook on every layer's logits forces the composite path
        var removers = model.Blocks.Select(b => b.Attention.Logits.register_forward_hook((_, _, o) => o)).ToList();
        Tensor composite;
        try { composite = model.call(tokens); }
        finally { removers.ForEach(r => r.remove()); }

        // Then both paths give the same logits within 1e-5
        Assert.True(Tiny.MaxAbsDiff(fused, composite) < 1e-5);
    }
}
