"""The loops of one kernel's SASS (cuobjdump -sass) that issue tensor-core products, with their instruction mix.

    python3 sass_loops.py FILE.sass

A loop is a backward branch; its body is every instruction from the branch target to the branch. Nested loops are
listed each (the outer includes the inner). Columns: the body's address range, its instruction count, then counts by
opcode class (the opcode's first dotted part), for the classes that decide the attention kernels' time at dh = 16.
"""
import collections
import re
import sys

CLASSES = ["HMMA", "MUFU", "LDSM", "STSM", "LDS", "STS", "LDG", "LDL", "STL", "FFMA", "FMUL", "FADD", "FSEL", "IMAD",
           "LOP3", "SHF", "ISETP", "F2FP", "BRA"]


def instructions(path):
    out = []
    for line in open(path):
        m = re.match(r"\s*/\*([0-9a-f]{4,})\*/\s+(.*?);", line)
        if m:
            text = m.group(2).strip()
            op = text.split()[1] if text.startswith("@") else text.split()[0]
            out.append((int(m.group(1), 16), op, text))
    return out


def main(path):
    ins = instructions(path)
    index = {address: i for i, (address, _, _) in enumerate(ins)}
    print("| loop | instructions | " + " | ".join(CLASSES) + " |")
    print("|---|---|" + "---|" * len(CLASSES))
    for i, (address, op, text) in enumerate(ins):
        m = re.search(r"BRA (?:`?\(?)(?:!?U?P\d, )?0x([0-9a-f]+)", text)
        if op != "BRA" or not m:
            continue
        target = int(m.group(1), 16)
        if target >= address or target not in index:
            continue
        body = ins[index[target]:i + 1]
        counts = collections.Counter(o.split(".")[0] for _, o, _ in body)
        if counts["HMMA"] == 0:
            continue
        print(f"| {target:#x}-{address:#x} | {len(body)} | " + " | ".join(str(counts[c]) for c in CLASSES) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
