# Does this PyTorch's FlashAttention take ALiBi slopes (forward and backward), and what do the fused kernels cost at the paper's sizes?
import math
import torch
from paper_attention import DEV as dev, B, H, T, D, reference_slopes, alibi_bias, timeit
print(torch.__version__)
for n in ["_flash_attention_forward","_flash_attention_backward","_scaled_dot_product_flash_attention","_efficient_attention_forward","_scaled_dot_product_cudnn_attention"]:
    op=getattr(torch.ops.aten,n)
    for o in op.overloads(): print(n,o, getattr(op,o)._schema)
torch.manual_seed(0)
slopes=reference_slopes()
def ref(q,k,v,keymask):  # q (B,T,H,D)
    qh,kh,vh=[x.transpose(1,2).float() for x in (q,k,v)]
    bias=alibi_bias()
    s=qh@kh.transpose(-1,-2)/math.sqrt(D)+bias
    s=s.masked_fill(~keymask.view(B,1,1,T),float('-inf'))
    return (s.softmax(-1)@vh).transpose(1,2)
lengths=torch.randint(T//4,T+1,(B,),device=dev); lengths[0]=T
keymask=torch.arange(T,device=dev).view(1,T)<lengths.view(B,1)
q,k,v=[torch.randn(B,T,H,D,device=dev,dtype=torch.bfloat16,requires_grad=True) for _ in range(3)]
try:
    out=torch.ops.aten._flash_attention_forward(q,k,v,None,None,T,T,0.0,False,False,alibi_slopes=slopes)
    print("fwd alibi ok; outputs", [tuple(x.shape) if isinstance(x,torch.Tensor) else x for x in out])
    r=ref(q,k,v,torch.ones_like(keymask))
    print("fwd err no mask", (out[0].float()-r).abs().max().item(), r.abs().max().item())
    g=torch.randn_like(out[0])
    try:
        dq,dk,dv=torch.autograd.grad(out[0],(q,k,v),g)
        rq,rk,rv=torch.autograd.grad(r,(q,k,v),g.float())
        print("autograd alibi grad err", [(a.float()-b).abs().max().item()/b.abs().max().item() for a,b in ((dq,rq),(dk,rk),(dv,rv))])
    except Exception as e: print("autograd fail", repr(e)[:300])
except Exception as e:
    print("fwd alibi FAIL", repr(e)[:500])
# key padding via augmented column
def aug(q,k,v,keymask,Dp):
    pad=Dp-D
    qa=torch.cat([q, torch.ones(B,T,H,1,device=dev,dtype=q.dtype), torch.zeros(B,T,H,pad-1,device=dev,dtype=q.dtype)],-1)
    kcol=torch.where(keymask,0.0,-30000.0).to(q.dtype).view(B,T,1,1).expand(B,T,H,1)
    ka=torch.cat([k,kcol,torch.zeros(B,T,H,pad-1,device=dev,dtype=k.dtype)],-1)
    va=torch.cat([v,torch.zeros(B,T,H,pad,device=dev,dtype=v.dtype)],-1)
    return qa,ka,va
try:
    qa,ka,va=aug(q,k,v,keymask,24)
    out=torch.ops.aten._flash_attention_forward(qa,ka,va,None,None,T,T,0.0,False,False,scale=1/math.sqrt(D),alibi_slopes=slopes)
    r=ref(q,k,v,keymask)
    o=out[0][...,:D]
    print("aug fwd err", (o.float()-r).abs().max().item())
    g=torch.randn_like(o)
    dq,dk,dv=torch.autograd.grad(o,(q,k,v),g)
    rq,rk,rv=torch.autograd.grad(r,(q,k,v),g.float())
    print("aug grad rel err", [(a.float()-b).abs().max().item()/b.abs().max().item() for a,b in ((dq,rq),(dk,rk),(dv,rv))])
except Exception as e: print("aug FAIL", repr(e)[:500])
qh,kh,vh=[x.detach().transpose(1,2).requires_grad_() for x in (q,k,v)]
bias=alibi_bias().to(torch.bfloat16)
add=bias+torch.where(keymask,0.0,float('-inf')).to(torch.bfloat16).view(B,1,1,T)
def memeff():
    o=torch.nn.functional.scaled_dot_product_attention(qh,kh,vh,attn_mask=add); o.backward(torch.ones_like(o))
mask_only=torch.where(keymask,0.0,float('-inf')).to(torch.bfloat16).view(B,1,1,T)
def nope_mask():
    o=torch.nn.functional.scaled_dot_product_attention(qh,kh,vh,attn_mask=mask_only); o.backward(torch.ones_like(o))
def nope_nomask():
    o=torch.nn.functional.scaled_dot_product_attention(qh,kh,vh); o.backward(torch.ones_like(o))
print("ms/layer fwd+bwd: sdpa bias+mask %.3f, sdpa mask only %.3f, sdpa no mask %.3f"%(timeit(memeff,20,3),timeit(nope_mask,20,3),timeit(nope_nomask,20,3)))
for Dp in (16,24,32):
  try:
    qa,ka,va=[x.detach().requires_grad_() for x in (aug(q,k,v,keymask,Dp) if Dp>D else (q,k,v))]
    def fl():
        o=torch.ops.aten._flash_attention_forward(qa,ka,va,None,None,T,T,0.0,False,False,scale=1/math.sqrt(D),alibi_slopes=slopes)[0]
        o.backward(torch.ones_like(o))
    def flf():
        with torch.no_grad(): torch.ops.aten._flash_attention_forward(qa,ka,va,None,None,T,T,0.0,False,False,scale=1/math.sqrt(D),alibi_slopes=slopes)
    print("flash alibi D=%d fwd+bwd %.3f ms, fwd %.3f"%(Dp,timeit(fl,20,3),timeit(flf,20,3)))
  except Exception as e: print("flash D",Dp,"FAIL",repr(e)[:300])
import re, os
lib=os.path.join(os.path.dirname(torch.__file__),'lib')
for f in ('libtorch_cpu.so','libtorch_cuda.so'):
    data=open(os.path.join(lib,f),'rb').read()
    names=set(re.findall(rb'_ZN[0-9A-Za-z_]*_flash_attention_(?:forward|backward)[0-9A-Za-z_]*',data))
    for n in sorted(names):
        if b'_ops' in n or b'native' in n: print(f, n.decode())
