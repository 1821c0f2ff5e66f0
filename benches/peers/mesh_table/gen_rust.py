import pickle
from rules import EDGES
known = pickle.load(open('known2.pkl', 'rb'))
# Rust edge order: for bit in 1,2,4: for a in 0..8 with a & bit == 0: (a, a|bit)
rust = [(a, a | bit) for bit in (1, 2, 4) for a in range(8) if a & bit == 0]
m = {i: rust.index(e) for i, e in enumerate(EDGES)}
lines = []
for c in range(256):
    tris = [] if c in (0, 255) else known[c][1]
    body = ", ".join("[%d, %d, %d]" % tuple(m[e] for e in t) for t in tris)
    lines.append("    &[%s]," % body)
print("\n".join(lines))
