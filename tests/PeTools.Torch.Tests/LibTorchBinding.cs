using System.Runtime.CompilerServices;
using PeTools.Torch.Native;

namespace PeTools.Torch.Testing;

/// <summary>Binds TorchSharp to the bundled CPU libtorch before any test touches it (the tools do this at start-up).</summary>
internal static class LibTorchBinding
{
    [ModuleInitializer]
    internal static void Bind() => LibTorchLocator.Bind(explicitDir: null, wantCuda: false);
}
