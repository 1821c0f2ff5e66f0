import numpy as np, itertools, sys
from radiomics import cShape
def cs(m, sp):  # m [z][y][x], sp (x,y,z)
    a, v, _ = cShape.calculate_coefficients(np.ascontiguousarray(m.astype('uint8')), np.array(sp[::-1], dtype=float))
    return v, a
def pattern(c):
    m = np.zeros((2,2,2), dtype=np.uint8)
    for k in range(8):
        if c >> k & 1: m[k>>2&1, k>>1&1, k&1] = 1
    return m
def decompose(sp):
    rows, vv, aa = [], [], []
    for c in range(1,256):
        m = np.pad(pattern(c), 2)
        v, a = cs(m, sp)
        row = np.zeros(256)
        for oz, oy, ox in itertools.product((-1,0,1), repeat=3):
            cfg = 0
            for k in range(8):
                dx, dy, dz = k&1, k>>1&1, k>>2&1
                z, y, x = oz+dz, oy+dy, ox+dx
                if 0<=z<2 and 0<=y<2 and 0<=x<2 and pattern(c)[z,y,x]: cfg |= 1<<k
            row[cfg] += 1
        rows.append(row); vv.append(v); aa.append(a)
    A = np.array(rows)[:,1:]
    xv, res, rank, _ = np.linalg.lstsq(A, np.array(vv), rcond=None)
    xa, resa, _, _ = np.linalg.lstsq(A, np.array(aa), rcond=None)
    return A, xv, xa, rank, np.abs(A@xv-vv).max(), np.abs(A@xa-aa).max()
if __name__ == '__main__':
    sp = (1.0,1.0,1.0)
    # translation invariance check
    m = np.zeros((6,6,6),dtype=np.uint8); m[1:4,2:4,1:5]=1; m[3,4,4]=1
    print(cs(m,(1,1,1)), cs(np.roll(m,1,0),(1,1,1)), cs(np.pad(m,3),(1,1,1)))
    A, xv, xa, rank, rv, ra = decompose(sp)
    print('rank', rank, 'resid', rv, ra)
    np.save('pyr_v.npy', xv); np.save('pyr_a.npy', xa)
