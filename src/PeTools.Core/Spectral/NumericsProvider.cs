using MathNet.Numerics;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace PeTools.Core.Spectral;

/// <summary>
/// MathNet keeps its LAPACK provider in a static (ambient global state, STYLE.md "anti-patterns"). This is the
/// one place that sets it, explicitly and once, and every output names the provider that ran.
/// Managed is the default: it is bit-reproducible across machines and needs no native library. Native is
/// tried only when asked for, and falls back to managed when no MKL/OpenBLAS provider package is installed
/// (none is referenced today).
/// </summary>
public static class NumericsProvider
{
    private static readonly Lock Gate = new();
    private static string? _selected;

    /// <summary>Selects the provider on first call; later calls must ask for the same one.</summary>
    public static string Select(bool preferNative = false)
    {
        lock (Gate)
        {
            string wanted = preferNative ? "native" : "managed";
            if (_selected is not null)
            {
                if (!_selected.StartsWith(wanted, StringComparison.Ordinal) && !(preferNative && _selected.StartsWith("managed", StringComparison.Ordinal)))
                    throw new InvalidOperationException($"numerics provider already selected as {_selected}");
                return _selected;
            }
            if (preferNative && (Control.TryUseNativeMKL() || Control.TryUseNativeOpenBLAS()))
                _selected = "native: " + LinearAlgebraControl.Provider;
            else
            {
                Control.UseManaged();
                _selected = "managed: " + LinearAlgebraControl.Provider;
            }
            return _selected;
        }
    }

    /// <summary>The provider in use (selecting managed if nothing was chosen yet).</summary>
    public static string Current => _selected ?? Select();
}
