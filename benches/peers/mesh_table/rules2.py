import numpy as np, itertools
from rules import EDGES, epos, off, edge_of, triangulations, tri_area
def loops_of(cfg, joinbits):
    ins = lambda c: cfg >> c & 1
    segs = []; fi = 0
    for bit in (1, 2, 4):
        o = [b for b in (1, 2, 4) if b != bit]
        for side in (0, bit):
            cyc = [side, side | o[0], side | o[0] | o[1], side | o[1]]
            cut = [k for k in range(4) if ins(cyc[k]) != ins(cyc[(k+1) % 4])]
            e = lambda k: edge_of(cyc[k], cyc[(k+1) % 4])
            if len(cut) == 2: segs.append((e(cut[0]), e(cut[1])))
            elif len(cut) == 4:
                join = joinbits >> fi & 1; fi += 1
                for k in range(4):
                    if bool(ins(cyc[k])) != bool(join):
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
    return loops, fi
def candidates(cfg):
    _, namb = loops_of(cfg, 0)
    out = []
    for jb in range(1 << namb):
        loops, _ = loops_of(cfg, jb)
        if sum(len(lp) - 2 for lp in loops) > 5: continue
        per = [[[(lp[i], lp[k], lp[j]) for (i, k, j) in t] for t in triangulations(len(lp))] for lp in loops]
        for combo in itertools.product(*per):
            out.append((jb, [t for part in combo for t in part]))
    return out
def area_of(tris, sp):
    sp = np.array(sp); return sum(tri_area(epos(a), epos(b), epos(c), sp) for a, b, c in tris)
