# Which layout of ALiBi's (H, T, T) bias makes scaled_dot_product_attention fastest at the paper's sizes (B 512, H 16, T 128, dh 16)?
import torch, time, math
from torch.nn.attention import sdpa_kernel, SDPBackend
dev='cuda'; B,H,T,D=512,16,128,16
torch.manual_seed(0)
slopes=torch.exp(-torch.arange(H,device=dev,dtype=torch.float32)/H)
i=torch.arange(T,device=dev)
bias32=-slopes.view(H,1,1)*(i.view(1,T,1)-i.view(1,1,T)).abs()
x=[torch.randn(B,T,H,D,device=dev,dtype=torch.bfloat16) for _ in range(3)]
q,k,v=[t.transpose(1,2).requires_grad_() for t in x]
def timeit(f,n=30):
    for _ in range(5): f()
    torch.cuda.synchronize(); t=time.perf_counter()
    for _ in range(n): f()
    torch.cuda.synchronize(); return (time.perf_counter()-t)/n*1000
g=torch.randn(B,H,T,D,device=dev,dtype=torch.bfloat16)
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
