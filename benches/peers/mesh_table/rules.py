import numpy as np, itertools, functools
from decompose import cs
from decompose2 import configs
def off(c): return np.array([c&1, c>>1&1, c>>2&1])
EDGES = [(a, b) for a in range(8) for b in range(8) if a < b and bin(a ^ b).count('1') == 1]
def epos(e):
    a, b = EDGES[e]; return (off(a) + off(b)) / 2
def edge_of(a, b): return EDGES.index((min(a, b), max(a, b)))
def loops_of(cfg, join=False):
    ins = lambda c: cfg >> c & 1
    segs = []
    for bit in (1, 2, 4):
        o = [b for b in (1, 2, 4) if b != bit]
        for side in (0, bit):
            cyc = [side, side | o[0], side | o[0] | o[1], side | o[1]]
            cut = [k for k in range(4) if ins(cyc[k]) != ins(cyc[(k+1) % 4])]
            e = lambda k: edge_of(cyc[k], cyc[(k+1) % 4])
            if len(cut) == 2: segs.append((e(cut[0]), e(cut[1])))
            elif len(cut) == 4:
                for k in range(4):
                    if (ins(cyc[k]) and not join) or (join and not ins(cyc[k])):
                        segs.append((edge_of(cyc[(k+3) % 4], cyc[k]), edge_of(cyc[k], cyc[(k+1) % 4])))
    used = [False]*len(segs); loops = []
    while not all(used):
        f = used.index(False); used[f] = True
        start, cur = segs[f]; lp = [start]
        while cur != start:
            lp.append(cur)
            s = next(s for s in range(len(segs)) if not used[s] and cur in segs[s])
            used[s] = True; cur = segs[s][1] if segs[s][0] == cur else segs[s][0]
        inward = sum(off(a if ins(a) else b) - off(b if ins(a) else a) for a, b in (EDGES[e] for e in lp))
        nrm = sum(np.cross(epos(lp[k]), epos(lp[(k+1) % len(lp)])) for k in range(len(lp)))
        if nrm @ inward > 0: lp.reverse()
        loops.append(lp)
    return loops
def triangulations(n):
    # all triangulations of polygon 0..n-1 as lists of index triples
    @functools.lru_cache(None)
    def rec(i, j):
        if j <= i + 1: return [[]]
        out = []
        for k in range(i+1, j):
            for l in rec(i, k):
                for r in rec(k, j):
                    out.append(l + r + [(i, k, j)])
        return out
    return rec(0, n-1)
def tri_area(p, q, r, sp):
    return np.linalg.norm(np.cross((q-p)*sp, (r-p)*sp)) / 2
def tri_vol(p, q, r):  # signed volume wrt cube centre
    o = np.array([.5, .5, .5]); return np.dot(p-o, np.cross(q-o, r-o)) / 6
def loop_choices(lp):
    p = [epos(e) for e in lp]
    return [[(lp[i], lp[k], lp[j]) for (i, k, j) in t] for t in triangulations(len(lp))], p
def rule_table(rule, join=False):
    tab = []
    for cfg in range(256):
        tris = []
        for lp in loops_of(cfg, join):
            ts, _ = loop_choices(lp)
            tris += rule(ts)
        tab.append(tris)
    return tab
def table_area(tab, sp):
    sp = np.array(sp); return np.array([sum(tri_area(epos(a), epos(b), epos(c), sp) for a, b, c in t) for t in tab])
