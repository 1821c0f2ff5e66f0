import numpy as np, pickle, itertools
from decompose import cs
from decompose2 import configs
from rules2 import candidates, area_of
from rules import epos
sps = [(1.0, 1.3, 2.1), (1.7, 0.6, 1.0)]
known = pickle.load(open('known.pkl', 'rb'))
rng = np.random.RandomState(21); masks = []
for i in range(800):
    s = rng.randint(2, 5); masks.append(np.pad((rng.rand(s, s, s) < rng.uniform(.2, .85)).astype(np.uint8), 1))
def positions(m):
    Z, Y, X = m.shape; cfg = np.zeros((Z-1, Y-1, X-1), dtype=int)
    for k in range(8):
        dx, dy, dz = k & 1, k >> 1 & 1, k >> 2 & 1
        cfg |= (m[dz:Z-1+dz, dy:Y-1+dy, dx:X-1+dx].astype(int) << k)
    d = {}
    for (z, y, x), c in np.ndenumerate(cfg):
        d.setdefault(c, []).append((x, y, z))
    return d
POS = [positions(m) for m in masks]
cands = {c: candidates(c) for c in range(1, 255)}
def vol_contrib(tris, poslist, sp):
    sp = np.array(sp); v = 0.0
    E = {e: epos(e) for t in tris for e in t}
    for b in poslist:
        b = np.array(b, float)
        for a, bb, c in tris:
            p, q, r = (b + E[a]) * sp, (b + E[bb]) * sp, (b + E[c]) * sp
            v += np.dot(p, np.cross(q, r)) / 6
    return v
# target volumes
PV = np.array([[cs(m, sp)[0] for sp in sps] for m in masks])
# area-equivalent candidate sets per config
def akey(t): return tuple(np.round([area_of(t, sp) for sp in [(1.0,1.3,2.1),(1.7,0.6,1.0),(0.9,2.3,1.4)]], 9))
alts = {}
for c in range(1, 255):
    k0 = akey(known[c][1]); alts[c] = [j for j, (_, t) in enumerate(cands[c]) if akey(t) == k0]
multi = [c for c in alts if len(alts[c]) > 1]
print('configs with area-equivalent alternatives', len(multi))
# contribution tables: for each config and alternative, per mask per spacing volume
contrib = {}
for c in range(1, 255):
    js = alts[c] if c in multi else [None]
    for j in js:
        t = known[c][1] if j is None else cands[c][j][1]
        contrib[(c, j)] = np.array([[vol_contrib(t, P.get(c, []), sp) if c in P else 0.0 for sp in sps] for P in POS])
choice = {c: alts[c][0] for c in multi}
def total():
    tot = np.zeros_like(PV)
    for c in range(1, 255):
        tot += contrib[(c, choice[c] if c in multi else None)]
    return tot
r = PV - total()
print('start resid', np.abs(r).max())
for it in range(20):
    ch = 0
    for c in multi:
        base = contrib[(c, choice[c])]; best, bv = choice[c], np.abs(r).sum()
        for j in alts[c]:
            v = np.abs(r - (contrib[(c, j)] - base)).sum()
            if v < bv - 1e-9: best, bv = j, v
        if best != choice[c]:
            r -= contrib[(c, best)] - base; choice[c] = best; ch += 1
    print(it, ch, np.abs(r).max())
    if ch == 0: break
for c in multi: known[c] = cands[c][choice[c]]
pickle.dump(known, open('known2.pkl', 'wb'))
