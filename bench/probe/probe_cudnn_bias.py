# Which bias shapes and dtypes does libtorch's cuDNN attention take (paper sizes), and does it return a bias gradient?
import math, warnings
import torch
from torch.nn.attention import sdpa_kernel, SDPBackend
from paper_attention import B, H, T, D, alibi_bias, attention_inputs, timeit
warnings.simplefilter("always")
bias32=alibi_bias()
q,k,v,g=attention_inputs()
def ref(bias):
    s=(q.float()@k.float().transpose(-1,-2))/math.sqrt(D)+bias.float()
    return s.softmax(-1)@v.float()
def case(name,bias,backend=SDPBackend.CUDNN_ATTENTION,p=0.0):
    def f():
        with sdpa_kernel(backend): o=torch.nn.functional.scaled_dot_product_attention(q,k,v,attn_mask=bias,dropout_p=p)
        o.backward(g); return o
    try:
        with warnings.catch_warnings(record=True) as w:
            o=f()
            msg=" | ".join(str(x.message)[:150] for x in w)
        err=(o.float()-ref(bias)).abs().max().item() if p==0 else float('nan')
        gb=None
        if bias.requires_grad:
            bias.grad=None; f()
            gb=bias.grad
        print("%-44s %.3f ms err %.2e %s %s"%(name,timeit(f),err,("dbias "+str(None if gb is None else tuple(gb.shape))) if bias.requires_grad else "", msg))
    except Exception as e: print(name,"FAIL",repr(e)[:300])
b16=bias32.to(torch.bfloat16)
case("cudnn 3D (H,T,T) bf16",b16)
case("cudnn 4D (1,H,T,T) bf16",b16.unsqueeze(0))
case("cudnn 4D (1,H,T,T) fp32",bias32.unsqueeze(0))
case("cudnn 4D (1,H,T,T) bf16 dropout 0.1",b16.unsqueeze(0),p=0.1)
case("default 3D (H,T,T) bf16",b16,backend=[SDPBackend.CUDNN_ATTENTION,SDPBackend.FLASH_ATTENTION,SDPBackend.EFFICIENT_ATTENTION,SDPBackend.MATH])
lb=b16.unsqueeze(0).clone().requires_grad_()
case("cudnn 4D (1,H,T,T) bf16 requires_grad",lb)
lb2=b16.unsqueeze(0).clone().requires_grad_()
case("efficient 4D requires_grad",lb2,backend=SDPBackend.EFFICIENT_ATTENTION)
print("priority", torch._C._get_sdp_priority_order() if hasattr(torch._C,'_get_sdp_priority_order') else 'n/a')
print("cudnn sdp enabled", torch.backends.cuda.cudnn_sdp_enabled(), "cudnn", torch.backends.cudnn.version())
# fp32 inputs with cudnn
q32,k32,v32=[t.detach().float().requires_grad_() for t in (q,k,v)]
def f32(backend,bias):
    def f():
        with sdpa_kernel(backend): o=torch.nn.functional.scaled_dot_product_attention(q32,k32,v32,attn_mask=bias)
        o.backward(g.float())
    return f
for nm,be in (("cudnn",SDPBackend.CUDNN_ATTENTION),("efficient",SDPBackend.EFFICIENT_ATTENTION)):
    for bn,bb in (("none",None),("alibi",bias32.unsqueeze(0))):
        try: print("fp32 %s %s %.3f ms"%(nm,bn,timeit(f32(be,bb))))
        except Exception as e: print("fp32",nm,bn,"FAIL",repr(e)[:150])
