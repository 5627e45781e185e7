using static TorchSharp.torch;

namespace PeTools.Torch.Kernels;

/// <summary>Whether a kernel's call must go through its autograd function or can launch the forward alone: what
/// every fused kernel asks before it runs.</summary>
internal static class AutogradRecording
{
    /// <summary>True when autograd records an op on these inputs: gradients enabled, and one of them (nulls skipped)
    /// requires a gradient.</summary>
    public static bool Needed(params Tensor?[] inputs) => is_grad_enabled() && inputs.Any(t => t?.requires_grad == true);
}
