import numpy as np, pickle, SimpleITK as sitk
from decompose import cs
from decompose2 import configs
from rules import epos
import os
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../../../shared/data')
known = pickle.load(open('known2.pkl', 'rb'))
def mesh_av(m, sp, origin_shift=(0,0,0)):
    sp = np.array(sp, float); Z, Y, X = m.shape
    cfg = np.zeros((Z-1, Y-1, X-1), dtype=int)
    for k in range(8):
        dx, dy, dz = k & 1, k >> 1 & 1, k >> 2 & 1
        cfg |= (m[dz:Z-1+dz, dy:Y-1+dy, dx:X-1+dx].astype(int) << k)
    area = 0.0; vol = 0.0
    for (z, y, x), c in np.ndenumerate(cfg):
        if c == 0 or c == 255: continue
        base = np.array([x, y, z], float) + origin_shift
        for a, b, cc in known[c][1]:
            p, q, r = [(base + epos(e)) * sp for e in (a, b, cc)]
            area += np.linalg.norm(np.cross(q - p, r - p)) / 2
            vol += np.dot(p, np.cross(q, r)) / 6
    return vol, area
rng = np.random.RandomState(99)
for i in range(4):
    m = np.pad((rng.rand(4, 4, 4) < 0.5).astype(np.uint8), 1); sp = (0.8, 1.1, 2.0)
    print('rand', cs(m, sp), mesh_av(m, sp))
for case in ['breast1', 'lung1']:
    msk = sitk.ReadImage(f'{DATA}/pyradiomics/{case}_label.nrrd')
    m = (sitk.GetArrayFromImage(msk) == 1).astype(np.uint8)
    zz, yy, xx = np.nonzero(m)
    m = np.pad(m[zz.min():zz.max()+1, yy.min():yy.max()+1, xx.min():xx.max()+1], 1)
    print(case, cs(m, msk.GetSpacing()), mesh_av(m, msk.GetSpacing()))
