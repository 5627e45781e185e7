#!/usr/bin/env python3
"""Checks, from Python and before any .NET code relies on it, that libtorch's CUDA stream and CUDA graph C++ entry
points can be called by their mangled names as pe-train calls them (System V ABI: a c10::cuda::CUDAStream and a
MempoolId_t travel as two 64-bit words; methods take `this` first). Prints one line per check and exits 1 on the
first that fails. Needs a CUDA PyTorch; standard library otherwise.
"""
import ctypes, os, sys
import torch

lib = os.path.join(os.path.dirname(torch.__file__), "lib")
c10 = ctypes.CDLL(os.path.join(lib, "libc10_cuda.so"))
tcu = ctypes.CDLL(os.path.join(lib, "libtorch_cuda.so"))


class TwoWords(ctypes.Structure):
    _fields_ = [("lo", ctypes.c_uint64), ("hi", ctypes.c_uint64)]


def bind(library, names, restype, argtypes):
    for n in names:
        try:
            f = library[n]
        except AttributeError:
            continue
        f.restype, f.argtypes = restype, argtypes
        print(f"bound {n}")
        return f, n
    raise SystemExit(f"FAIL none of {names} exported")


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        sys.exit(1)


get_pool, _ = bind(c10, ["_ZN3c104cuda17getStreamFromPoolEba"], TwoWords, [ctypes.c_bool, ctypes.c_int8])
get_current, _ = bind(c10, ["_ZN3c104cuda20getCurrentCUDAStreamEa"], TwoWords, [ctypes.c_int8])
set_current, _ = bind(c10, ["_ZN3c104cuda20setCurrentCUDAStreamENS0_10CUDAStreamE"], None, [TwoWords])
stream_of, _ = bind(c10, ["_ZNK3c104cuda10CUDAStream6streamEv"], ctypes.c_void_p, [ctypes.POINTER(TwoWords)])
ctor, ctor_name = bind(tcu, ["_ZN2at4cuda9CUDAGraphC1Eb", "_ZN2at4cuda9CUDAGraphC1Ev"], None, [ctypes.c_void_p, ctypes.c_bool])
if ctor_name.endswith("Ev"):
    ctor.argtypes = [ctypes.c_void_p]
begin, _ = bind(tcu, ["_ZN2at4cuda9CUDAGraph13capture_beginESt4pairIyyE21cudaStreamCaptureMode"], None,
                [ctypes.c_void_p, TwoWords, ctypes.c_int])
end, _ = bind(tcu, ["_ZN2at4cuda9CUDAGraph11capture_endEv"], None, [ctypes.c_void_p])
replay, _ = bind(tcu, ["_ZN2at4cuda9CUDAGraph6replayEv"], None, [ctypes.c_void_p])
pool, _ = bind(tcu, ["_ZN2at4cuda9CUDAGraph4poolEv"], TwoWords, [ctypes.c_void_p])
dtor, _ = bind(tcu, ["_ZN2at4cuda9CUDAGraphD1Ev"], None, [ctypes.c_void_p])
instantiate = None
try:
    instantiate, _ = bind(tcu, ["_ZN2at4cuda9CUDAGraph11instantiateEv"], None, [ctypes.c_void_p])
except SystemExit:
    print("note: no CUDAGraph::instantiate (capture_end instantiates)")

torch.ones(1, device="cuda")  # CUDA initialised
cur = get_current(-1)
check(stream_of(ctypes.byref(cur)) in (None, torch.cuda.current_stream().cuda_stream or None),
      f"current stream: c10 says {stream_of(ctypes.byref(cur))}, torch {torch.cuda.current_stream().cuda_stream}")
side = get_pool(False, -1)
side_handle = stream_of(ctypes.byref(side))
check(side_handle not in (None, 0), f"pool stream handle {side_handle:#x}")
set_current(side)
check(torch.cuda.current_stream().cuda_stream == side_handle, "setCurrentCUDAStream is what torch sees")
set_current(cur)
check((torch.cuda.current_stream().cuda_stream or None) == stream_of(ctypes.byref(cur)), "restored the default stream")


def graph():
    buf = ctypes.create_string_buffer(1 << 16)
    if ctor_name.endswith("Eb"):
        ctor(buf, False)
    else:
        ctor(buf)
    return buf


def capture(buf, body, share=None):
    torch.cuda.synchronize()
    set_current(side)
    try:
        begin(buf, share or TwoWords(0, 0), 1)  # cudaStreamCaptureModeThreadLocal
        out = body()
        end(buf)
        if instantiate is not None and ctor_name.endswith("Eb"):
            pass  # keep_graph=False: capture_end instantiated it
    finally:
        set_current(cur)
    return out


# 1. elementwise ops; the output lives in the graph's pool
x = torch.ones(1024, device="cuda")
g1 = graph()
y = capture(g1, lambda: x * 2 + 1)
x.fill_(3)
replay(g1)
torch.cuda.synchronize()
check(bool((y == 7).all()), "replay recomputes from the static input")
p = pool(g1)
check(p.lo != 0 or p.hi != 0, f"pool id ({p.lo}, {p.hi})")

# 2. forward + backward into a preallocated gradient, as pe-train's flat buffers are
w = torch.randn(64, 64, device="cuda", requires_grad=True)
w.grad = torch.zeros_like(w)
a = torch.randn(32, 64, device="cuda")
torch.cuda.synchronize()
set_current(side)
(torch.nn.functional.gelu(a @ w).sum()).backward()  # warm-up on the side stream
torch.cuda.synchronize()
set_current(cur)


def step():
    w.grad.zero_()
    loss = torch.nn.functional.gelu(a @ w).sum()
    loss.backward()
    return loss.detach()


g2 = graph()
loss = capture(g2, step, share=p)
a.copy_(torch.randn(32, 64, device="cuda"))
replay(g2)
torch.cuda.synchronize()
w2 = w.detach().clone().requires_grad_(True)
ref = torch.nn.functional.gelu(a @ w2).sum()
ref.backward()
check(torch.allclose(w.grad, w2.grad, rtol=1e-4, atol=1e-4) and torch.allclose(loss, ref.detach(), rtol=1e-5),
      "captured backward matches eager (shared pool)")

# 3. dropout draws new bits at each replay
z = torch.ones(4096, device="cuda")
g3 = graph()
d = capture(g3, lambda: torch.nn.functional.dropout(z, 0.5, True))
replay(g3); torch.cuda.synchronize(); m1 = d.clone()
replay(g3); torch.cuda.synchronize(); m2 = d.clone()
check(not torch.equal(m1, m2) and 0.4 < (m1 == 0).float().mean().item() < 0.6, "dropout masks differ between replays")
torch.manual_seed(7); replay(g3); torch.cuda.synchronize(); m3 = d.clone()
torch.manual_seed(7); replay(g3); torch.cuda.synchronize(); m4 = d.clone()
check(torch.equal(m3, m4), "manual_seed between replays reproduces the mask")
for g in (g1, g2, g3):
    dtor(g)
print("all checks passed")
