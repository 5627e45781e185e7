"""Every run-time kernel source compiled by an NVRTC library the way Kernels/Nvrtc.cs compiles it (the named headers,
--std=c++17 --fmad=true, -D options as PE_NVRTC_DEFINES gives them), without a GPU: a compile error that only NVRTC
would raise shows here rather than on the GPU machine.

    python3 bench/kernels/nvrtc_compile.py ARCH [DEFINE...]        e.g. nvrtc_compile.py sm_80 PE_MMA_LDMATRIX=0

Finds libnvrtc.so* under NVRTC_DIR, else /usr/lib/x86_64-linux-gnu (Debian 12's libnvrtc11.2, CUDA 11.8, non-free).
Exit 0 when every source compiles, 1 otherwise (the failing source's log on stdout).
"""
import ctypes
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
KERNELS = os.path.join(HERE, "..", "..", "src", "PeTools.Torch", "Kernels")


def library():
    folder = os.environ.get("NVRTC_DIR", "/usr/lib/x86_64-linux-gnu")
    candidates = sorted(p for p in glob.glob(os.path.join(folder, "libnvrtc.so*")) if "builtins" not in p)
    if not candidates:
        sys.exit(f"no libnvrtc.so* in {folder} (set NVRTC_DIR)")
    return ctypes.CDLL(candidates[0])


def compile_source(nvrtc, path, headers, options):
    program = ctypes.c_void_p()
    sources = (ctypes.c_char_p * len(headers))(*[open(os.path.join(KERNELS, h), "rb").read() for h in headers])
    names = (ctypes.c_char_p * len(headers))(*[h.encode() for h in headers])
    nvrtc.nvrtcCreateProgram(ctypes.byref(program), open(path, "rb").read(), os.path.basename(path).encode(), len(headers),
                             sources, names)
    encoded = (ctypes.c_char_p * len(options))(*[o.encode() for o in options])
    status = nvrtc.nvrtcCompileProgram(program, len(options), encoded)
    size = ctypes.c_size_t()
    nvrtc.nvrtcGetProgramLogSize(program, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    nvrtc.nvrtcGetProgramLog(program, log)
    nvrtc.nvrtcDestroyProgram(ctypes.byref(program))
    return status, log.value.decode(errors="replace")


def main(arch, defines):
    nvrtc = library()
    headers = sorted(os.path.basename(p) for p in glob.glob(os.path.join(KERNELS, "*.cuh")))
    options = [f"--gpu-architecture={arch}", "--std=c++17", "--fmad=true"] + [f"-D{d}" for d in defines]
    failed = 0
    for path in sorted(glob.glob(os.path.join(KERNELS, "*.cu"))):
        status, log = compile_source(nvrtc, path, headers, options)
        print(f"{os.path.basename(path)}: {'ok' if status == 0 else 'FAILED'}")
        if status != 0:
            print(log)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
