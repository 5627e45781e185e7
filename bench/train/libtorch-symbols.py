#!/usr/bin/env python3
"""Lists the dynamic symbols a libtorch install exports that match patterns, demangled where c++filt exists.

pe-train binds a few libtorch C++ functions by their mangled names (CUDA streams, CUDA graphs); when a libtorch
release renames one, this shows what the installed one exports. Standard library only (reads the ELF .dynsym).

usage: libtorch-symbols.py [LIBDIR] [REGEX ...]   (LIBDIR defaults to the torch package's lib folder)
"""
import os, re, struct, subprocess, sys


def dynamic_symbols(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise SystemExit(f"{path}: not a 64-bit ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    for name, typ, flags, addr, off, size, link, info, align, entsize in sections:
        if typ != 11:  # SHT_DYNSYM
            continue
        stroff = sections[link][4]
        for i in range(size // entsize):
            st_name, st_info, st_other, st_shndx, st_value, st_size = struct.unpack_from("<IBBHQQ", data, off + i * entsize)
            if st_shndx == 0 or st_name == 0:  # undefined or unnamed
                continue
            end = data.index(b"\0", stroff + st_name)
            yield data[stroff + st_name:end].decode()


def main():
    args = sys.argv[1:]
    if args and os.path.isdir(args[0]):
        libdir, patterns = args[0], args[1:]
    else:
        import torch
        libdir, patterns = os.path.join(os.path.dirname(torch.__file__), "lib"), args
    patterns = [re.compile(p) for p in (patterns or [r"CUDAGraph", r"StreamFromPool", r"CurrentCUDAStream",
                                                     r"DefaultCUDAStream", r"CUDAStream6stream", r"warning_state"])]
    for lib in ("libc10_cuda.so", "libtorch_cuda.so"):
        path = os.path.join(libdir, lib)
        if not os.path.exists(path):
            print(f"# {path}: absent")
            continue
        names = sorted({n for n in dynamic_symbols(path) if any(p.search(n) for p in patterns)})
        try:
            shown = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True).stdout.split("\n")
        except OSError:
            shown = names
        print(f"# {path}: {len(names)} matching")
        for n, d in zip(names, shown):
            print(f"{n}\t{d}")


if __name__ == "__main__":
    main()
