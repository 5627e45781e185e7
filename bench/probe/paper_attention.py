"""What the attention probes share: one attention layer at the paper's sizes, ALiBi's bias, and a CUDA timer."""
import time
import torch

DEV = 'cuda'
B, H, T, D = 512, 16, 128, 16  # batch, heads, tokens, head dim: the paper's reference config


def reference_slopes():
    """pe-train's `alibi` slopes exp(-h/H), (H,) fp32."""
    return torch.exp(-torch.arange(H, device=DEV, dtype=torch.float32) / H)


def alibi_bias():
    """-m_h |i - j|, (H, T, T) fp32: the bias pe-train's AlibiBias builds."""
    i = torch.arange(T, device=DEV)
    return -reference_slopes().view(H, 1, 1) * (i.view(1, T, 1) - i.view(1, 1, T)).abs()


def attention_inputs():
    """q, k, v (B, H, T, D) bf16 as transposed views of (B, T, H, D), as pe-train's projections leave them, and an
    output gradient g; seeded."""
    torch.manual_seed(0)
    x = [torch.randn(B, T, H, D, device=DEV, dtype=torch.bfloat16) for _ in range(3)]
    q, k, v = [t.transpose(1, 2).requires_grad_() for t in x]
    g = torch.randn(B, H, T, D, device=DEV, dtype=torch.bfloat16)
    return q, k, v, g


def timeit(f, n=30, warmup=5):
    """Mean milliseconds per call of f over n calls after warmup, the device synchronised around the loop."""
    for _ in range(warmup):
        f()
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(n):
        f()
    torch.cuda.synchronize()
    return (time.perf_counter() - t) / n * 1000
