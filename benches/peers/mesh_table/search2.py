import numpy as np, itertools, pickle
from decompose import cs, pattern
from rules2 import candidates, area_of
sps = [(1.0, 1.3, 2.1), (1.7, 0.6, 1.0), (0.9, 2.3, 1.4)]
def sub_configs(c):
    p = pattern(c); out = []
    for oz, oy, ox in itertools.product((-1, 0, 1), repeat=3):
        cfg = 0
        for k in range(8):
            dx, dy, dz = k & 1, k >> 1 & 1, k >> 2 & 1
            z, y, x = oz + dz, oy + dy, ox + dx
            if 0 <= z < 2 and 0 <= y < 2 and 0 <= x < 2 and p[z, y, x]: cfg |= 1 << k
        if cfg: out.append(cfg)
    return out
cands = {}
def cand_areas(c):
    if c not in cands:
        cl = candidates(c) if c != 255 else [(0, [])]
        cands[c] = (cl, np.array([[area_of(t, sp) for sp in sps] for _, t in cl]))
    return cands[c]
known = {0: (0, [])}; known_a = {0: np.zeros(3)}
for c in range(1, 256):
    cl, ar = cand_areas(c)
    if np.abs(ar - ar[0]).max() < 1e-9: known[c] = cl[0]; known_a[c] = ar[0]
print('fixed by geometry', len(known))
order = sorted(range(1, 256), key=lambda c: bin(c).count('1'))
amb = []
for rnd in range(6):
    for c in order:
        if c in known: continue
        subs = sub_configs(c)
        U = sorted(set(s for s in subs if s not in known))
        if np.prod([len(cand_areas(u)[0]) for u in U]) > 20000: continue
        target = np.array([cs(np.pad(pattern(c), 2), sp)[1] for sp in sps])
        base = sum(known_a[s] for s in subs if s in known)
        mult = {u: subs.count(u) for u in U}
        lists = [range(len(cand_areas(u)[0])) for u in U]
        hits = []
        for combo in itertools.product(*lists):
            tot = base + sum(mult[u] * cand_areas(u)[1][j] for u, j in zip(U, combo))
            if np.abs(tot - target).max() < 1e-7: hits.append(combo)
        if not hits:
            print('NO MATCH', c, U); continue
        if len(hits) > 1:
            # identical areas among hits are fine for area
            arrs = [tuple(np.round(np.concatenate([cand_areas(u)[1][j] for u, j in zip(U, h)]), 9)) for h in hits]
            if len(set(arrs)) > 1: amb.append((c, U, len(hits)))
        for u, j in zip(U, hits[0]):
            known[u] = cand_areas(u)[0][j]; known_a[u] = cand_areas(u)[1][j]
print('known', len(known), 'ambiguous', amb[:10], len(amb))
pickle.dump(known, open('known.pkl', 'wb'))
