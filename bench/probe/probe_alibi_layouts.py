# Which layout of ALiBi's (H, T, T) bias makes scaled_dot_product_attention fastest at the paper's sizes (B 512, H 16, T 128, dh 16)?
import math
import torch
from torch.nn.attention import sdpa_kernel, SDPBackend
from paper_attention import B, H, T, D, alibi_bias, attention_inputs, timeit
bias32=alibi_bias()
q,k,v,g=attention_inputs()
def case(name,mask,backend=None,fwd_only=False):
    def f():
        if backend is None: o=torch.nn.functional.scaled_dot_product_attention(q,k,v,attn_mask=mask)
        else:
            with sdpa_kernel(backend): o=torch.nn.functional.scaled_dot_product_attention(q,k,v,attn_mask=mask)
        if not fwd_only: o.backward(g)
    try: print("%-50s %.3f ms"%(name,timeit(f)))
    except Exception as e: print(name,"FAIL",repr(e)[:200])
b16=bias32.to(torch.bfloat16)
case("no bias (flash/cudnn default)",None)
case("no bias fwd only",None,fwd_only=True)
case("bias (1,H,T,T) bf16 broadcast",b16.unsqueeze(0))
case("bias (1,H,T,T) fwd only",b16.unsqueeze(0),fwd_only=True)
case("bias expand (B,H,T,T) stride0",b16.unsqueeze(0).expand(B,H,T,T))
full=b16.unsqueeze(0).expand(B,H,T,T).contiguous()
case("bias (B,H,T,T) contiguous",full)
case("bias (B,H,T,T) contiguous fwd only",full,fwd_only=True)
case("bias (1,H,T,T) cudnn",b16.unsqueeze(0),SDPBackend.CUDNN_ATTENTION)
case("bias (B,H,T,T) cudnn",full,SDPBackend.CUDNN_ATTENTION)
case("bias (1,H,T,T) efficient",b16.unsqueeze(0),SDPBackend.EFFICIENT_ATTENTION)
case("no bias efficient",None,SDPBackend.EFFICIENT_ATTENTION)
case("no bias flash",None,SDPBackend.FLASH_ATTENTION)
case("no bias cudnn",None,SDPBackend.CUDNN_ATTENTION)
# explicit product
def expl():
    w=torch.softmax((q*(1/math.sqrt(D)))@k.transpose(-1,-2)+b16,-1); o=w@v; o.backward(g)
print("%-50s %.3f ms"%("explicit softmax(qk+b)v",timeit(expl)))
# pad head dim to 32 with bias
