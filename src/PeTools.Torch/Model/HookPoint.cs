using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Model;

/// <summary>
/// A named identity in the forward pass, where analysis code attaches TorchSharp forward hooks (TransformerLens'
/// HookPoint, STYLE.md §4). The model invokes it with <c>call</c>, because hooks never fire through <c>forward</c>.
/// A post-hook may return a replacement tensor (ablation, patching); cache hooks should return null. Tensors a hook
/// sees belong to the caller's dispose scope: copy them out (<c>detach().clone()</c> + <c>DetachFromDisposeScope</c>)
/// to keep them past the step.
/// </summary>
public sealed class HookPoint : nn.Module<Tensor, Tensor>
{
    public HookPoint(string name) : base(name) => RegisterComponents();

    /// <summary>The name in the model, e.g. <c>blocks.0.attn.z</c>, filled in by <see cref="Transformer"/>.</summary>
    public string Path { get; internal set; } = "";

    /// <summary>True when any hook is attached: attention then takes the composite path, which materialises logits and pattern.</summary>
    public bool HasHooks => pre_hooks.Count + post_hooks.Count + module_pre_hooks.Count + module_post_hooks.Count > 0;

    public override Tensor forward(Tensor x) => x.alias();
}
