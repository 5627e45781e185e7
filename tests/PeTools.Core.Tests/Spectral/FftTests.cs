using System.Numerics;
using MathNet.Numerics.IntegralTransforms;
using PeTools.Core.Spectral;
using static PeTools.Core.Tests.Spectral.SpectralAssert;

namespace PeTools.Core.Tests.Spectral;

public class FftTests
{
    [Fact]
    public void Complex_fft_matches_mathnet_forward_and_inverse()
    {
        var rng = new Random(11);
        foreach (int n in new[] { 1, 2, 4, 8, 64, 1024 })
        {
            var x = Enumerable.Range(0, n).Select(_ => new Complex(Normal(rng), Normal(rng))).ToArray();
            var expected = (Complex[])x.Clone();
            Fourier.Forward(expected, FourierOptions.NoScaling);
            var re = x.Select(z => z.Real).ToArray();
            var im = x.Select(z => z.Imaginary).ToArray();
            new Fft(n).Transform(re, im, inverse: false);
            AllClose(expected.Select(z => z.Real).ToArray(), re, 1e-12 * n, $"re n={n}");
            AllClose(expected.Select(z => z.Imaginary).ToArray(), im, 1e-12 * n, $"im n={n}");
            new Fft(n).Transform(re, im, inverse: true);
            AllClose(x.Select(z => z.Real * n).ToArray(), re, 1e-12 * n, $"round trip n={n}");
        }
    }

    [Fact]
    public void Real_fft_gives_the_nonredundant_half_of_the_complex_dft_and_inverts()
    {
        var rng = new Random(12);
        foreach (int m in new[] { 2, 4, 16, 512, 4096 })
        {
            var x = Vector(rng, m);
            var full = x.Select(v => new Complex(v, 0)).ToArray();
            Fourier.Forward(full, FourierOptions.NoScaling);
            var re = new double[m / 2 + 1];
            var im = new double[m / 2 + 1];
            var fft = new RealFft(m);
            fft.Forward(x, re, im);
            AllClose(full.Take(m / 2 + 1).Select(z => z.Real).ToArray(), re, 1e-12 * m, $"re m={m}");
            AllClose(full.Take(m / 2 + 1).Select(z => z.Imaginary).ToArray(), im, 1e-12 * m, $"im m={m}");
            var back = new double[m];
            fft.Inverse(re, im, back);
            AllClose(x, back, 1e-12 * m, $"inverse m={m}");
        }
    }

    [Fact]
    public void Fft_rejects_sizes_that_are_not_powers_of_two()
    {
        Assert.Throws<ArgumentException>(() => new Fft(12));
        Assert.Throws<ArgumentException>(() => new RealFft(1));
    }
}
