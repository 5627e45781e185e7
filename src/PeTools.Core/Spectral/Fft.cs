namespace PeTools.Core.Spectral;

/// <summary>
/// Radix-2 FFT on split real/imaginary arrays, plus the packed real transform the Toeplitz operator uses.
/// Why not MathNet's FFT on the hot path: at 2^21 points its managed transform took ~0.25 s (measured
/// 2026-11-24 on 2 cores), which alone would blow the 10 s budget for n = 2^20 Lanczos. MathNet's FFT stays
/// the oracle in the tests (STYLE.md §14: two implementations for every fast path).
/// </summary>
public sealed class Fft
{
    private readonly double[] _cos;
    private readonly double[] _sin;
    private readonly int[] _bitReverse;

    public Fft(int size)
    {
        if (size < 1 || (size & (size - 1)) != 0) throw new ArgumentException($"FFT size must be a power of two, got {size}");
        Size = size;
        _cos = new double[Math.Max(1, size / 2)];
        _sin = new double[Math.Max(1, size / 2)];
        for (int k = 0; k < size / 2; k++)
        {
            double angle = 2 * Math.PI * k / size;
            _cos[k] = Math.Cos(angle);
            _sin[k] = Math.Sin(angle);
        }
        _bitReverse = new int[size];
        int bits = System.Numerics.BitOperations.Log2((uint)size);
        for (int i = 0; i < size; i++)
            _bitReverse[i] = bits == 0 ? 0 : (int)(ReverseBits((uint)i) >> (32 - bits));
    }

    public int Size { get; }

    /// <summary>In-place DFT X_k = Σ x_j e^{∓2πijk/N} (minus sign forward); no scaling either way.</summary>
    public void Transform(Span<double> re, Span<double> im, bool inverse)
    {
        int n = Size;
        if (re.Length != n || im.Length != n) throw new ArgumentException($"FFT of size {n} got {re.Length} points");
        for (int i = 0; i < n; i++)
        {
            int j = _bitReverse[i];
            if (j > i)
            {
                (re[i], re[j]) = (re[j], re[i]);
                (im[i], im[j]) = (im[j], im[i]);
            }
        }
        double sign = inverse ? 1 : -1;
        for (int len = 2; len <= n; len <<= 1)
        {
            int half = len >> 1, step = n / len;
            for (int start = 0; start < n; start += len)
            {
                for (int j = 0; j < half; j++)
                {
                    double wr = _cos[j * step], wi = sign * _sin[j * step];
                    int a = start + j, b = a + half;
                    double tr = wr * re[b] - wi * im[b];
                    double ti = wr * im[b] + wi * re[b];
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                }
            }
        }
    }

    private static uint ReverseBits(uint v)
    {
        v = ((v >> 1) & 0x55555555u) | ((v & 0x55555555u) << 1);
        v = ((v >> 2) & 0x33333333u) | ((v & 0x33333333u) << 2);
        v = ((v >> 4) & 0x0F0F0F0Fu) | ((v & 0x0F0F0F0Fu) << 4);
        v = ((v >> 8) & 0x00FF00FFu) | ((v & 0x00FF00FFu) << 8);
        return (v >> 16) | (v << 16);
    }
}

/// <summary>
/// The DFT of a real sequence of even length M = 2N through one complex FFT of length N (the standard
/// even/odd packing), returning the non-redundant half X_0 … X_N. Halves the cost of every Toeplitz product.
/// </summary>
public sealed class RealFft
{
    private readonly Fft _half;
    private readonly double[] _wr;
    private readonly double[] _wi;

    public RealFft(int size)
    {
        if (size < 2 || (size & (size - 1)) != 0) throw new ArgumentException($"real FFT size must be a power of two ≥ 2, got {size}");
        Size = size;
        _half = new Fft(size / 2);
        _wr = new double[size / 2];
        _wi = new double[size / 2];
        for (int k = 0; k < size / 2; k++)
        {
            _wr[k] = Math.Cos(-2 * Math.PI * k / size);
            _wi[k] = Math.Sin(-2 * Math.PI * k / size);
        }
    }

    public int Size { get; }

    /// <summary>x (length M) → X_0 … X_{M/2} in <paramref name="re"/>, <paramref name="im"/> (length M/2 + 1).</summary>
    public void Forward(ReadOnlySpan<double> x, Span<double> re, Span<double> im)
    {
        int n = Size / 2;
        var zr = re[..n];
        var zi = im[..n];
        for (int k = 0; k < n; k++)
        {
            zr[k] = x[2 * k];
            zi[k] = x[2 * k + 1];
        }
        _half.Transform(zr, zi, inverse: false);
        // X_k = E_k + W^k O_k with E_k = (Z_k + conj Z_{N-k})/2, O_k = (Z_k - conj Z_{N-k})/(2i); k and N-k in pairs.
        double z0r = zr[0], z0i = zi[0];
        re[n] = z0r - z0i;
        im[n] = 0;
        re[0] = z0r + z0i;
        im[0] = 0;
        for (int k = 1; k <= n / 2; k++)
        {
            int m = n - k;
            double ar = zr[k], ai = zi[k], br = zr[m], bi = zi[m];
            Combine(ar, ai, br, bi, k, out double xkr, out double xki);
            Combine(br, bi, ar, ai, m, out double xmr, out double xmi);
            re[k] = xkr; im[k] = xki;
            re[m] = xmr; im[m] = xmi;
        }
    }

    private void Combine(double ar, double ai, double br, double bi, int k, out double xr, out double xi)
    {
        double er = 0.5 * (ar + br), ei = 0.5 * (ai - bi);   // E = (Z_k + conj Z_{N-k})/2
        double or = 0.5 * (ai + bi), oi = -0.5 * (ar - br);  // O = (Z_k - conj Z_{N-k})/(2i)
        xr = er + _wr[k] * or - _wi[k] * oi;
        xi = ei + _wr[k] * oi + _wi[k] * or;
    }

    /// <summary>The inverse of <see cref="Forward"/>, scaled by 1/M so Inverse(Forward(x)) = x. Overwrites re, im.</summary>
    public void Inverse(Span<double> re, Span<double> im, Span<double> x)
    {
        int n = Size / 2;
        // E_k = (X_k + conj X_{N-k})/2, O_k = (X_k - conj X_{N-k}) W^{-k}/2, Z_k = E_k + i O_k.
        var zr = new double[n];
        var zi = new double[n];
        for (int k = 0; k < n; k++)
        {
            int m = n - k;
            double ar = re[k], ai = im[k], br = re[m], bi = im[m];
            double er = 0.5 * (ar + br), ei = 0.5 * (ai - bi);
            double dr = 0.5 * (ar - br), di = 0.5 * (ai + bi);
            double or = dr * _wr[k] + di * _wi[k], oi = di * _wr[k] - dr * _wi[k]; // × conj(W^k)
            zr[k] = er - oi;
            zi[k] = ei + or;
        }
        _half.Transform(zr, zi, inverse: true);
        double scale = 1.0 / n;
        for (int k = 0; k < n; k++)
        {
            x[2 * k] = zr[k] * scale;
            x[2 * k + 1] = zi[k] * scale;
        }
    }
}
