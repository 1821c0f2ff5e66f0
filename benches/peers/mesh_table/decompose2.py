import numpy as np, sys
from decompose import cs
def configs(m):
    # m padded [z][y][x]; returns counts of cube configs for cubes with lower corner at each index
    counts = np.zeros(256)
    Z, Y, X = m.shape
    cfg = np.zeros((Z-1, Y-1, X-1), dtype=int)
    for k in range(8):
        dx, dy, dz = k&1, k>>1&1, k>>2&1
        cfg |= (m[dz:Z-1+dz, dy:Y-1+dy, dx:X-1+dx].astype(int) << k)
    return np.bincount(cfg.ravel(), minlength=256)
def fit(sp, n=4000, seed=1):
    rng = np.random.RandomState(seed)
    rows, vv, aa = [], [], []
    for i in range(n):
        s = rng.randint(2, 5)
        m = (rng.rand(s, s, s) < rng.uniform(0.3, 0.8)).astype(np.uint8)
        if m.sum() < 1: continue
        m = np.pad(m, 1)
        v, a = cs(m, sp)
        rows.append(configs(m)); vv.append(v); aa.append(a)
    A = np.array(rows)[:, 1:]
    xv, _, rank, _ = np.linalg.lstsq(A, vv, rcond=None)
    xa, _, _, _ = np.linalg.lstsq(A, aa, rcond=None)
    return rank, np.abs(A@xv-vv).max(), np.abs(A@xa-aa).max(), np.r_[0, xv], np.r_[0, xa]
if __name__ == '__main__':
    sp = tuple(float(x) for x in sys.argv[1:4]) if len(sys.argv) > 3 else (1.0, 1.0, 1.0)
    rank, rv, ra, xv, xa = fit(sp)
    print('rank', rank, 'max resid V', rv, 'A', ra)
    np.save('pyr_v_%s.npy' % '_'.join(map(str, sp)), xv); np.save('pyr_a_%s.npy' % '_'.join(map(str, sp)), xa)
