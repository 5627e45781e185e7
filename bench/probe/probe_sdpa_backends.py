"""Which of libtorch's fused attention kernels is fastest at the paper's sizes without a bias (NoPE, RoPE), forward and
backward of one layer, bf16, with and without dropout: cuDNN's (what libtorch 2.11 picks on an H200), FlashAttention-2's
and the memory-efficient one, each forced with torch.nn.attention.sdpa_kernel. Prints one line per (backend, dropout)."""
import torch
from torch.nn.attention import sdpa_kernel, SDPBackend
from paper_attention import attention_inputs, timeit

q, k, v, g = attention_inputs()
print(torch.__version__, torch.cuda.get_device_name())
for dropout in (0.0, 0.1):
    for name, backend in [("cudnn", SDPBackend.CUDNN_ATTENTION), ("flash", SDPBackend.FLASH_ATTENTION),
                          ("efficient", SDPBackend.EFFICIENT_ATTENTION)]:
        def step():
            with sdpa_kernel([backend]):
                out = torch.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=dropout)
            out.backward(g)
        try:
            ms = timeit(step)
            with torch.no_grad(), sdpa_kernel([backend]):
                fwd = timeit(lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=dropout))
            print(f"{name:10s} dropout {dropout}: forward+backward {ms:.3f} ms, forward {fwd:.3f} ms per layer")
        except RuntimeError as e:
            print(f"{name:10s} dropout {dropout}: refused ({str(e).splitlines()[0][:120]})")
