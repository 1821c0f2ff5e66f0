import numpy as np, pickle, itertools
exec(open('search2.py').read().split("order = sorted(")[0])
from decompose2 import configs
# unknown: ambiguous face-diagonal configs and the no-match ones are resolved on random masks
rng = np.random.RandomState(11); masks = []
for i in range(1500):
    s = rng.randint(2, 5); masks.append(np.pad((rng.rand(s, s, s) < rng.uniform(.2, .85)).astype(np.uint8), 1))
C = np.array([configs(m) for m in masks], float)
P = np.array([[cs(m, sp)[1] for sp in sps] for m in masks])  # n x 3
unk = [c for c in range(1, 256) if c not in known and C[:, c].sum() > 0]
print('unknown', len(unk), 'never seen', [c for c in range(1,256) if c not in known and C[:, c].sum() == 0])
for c in range(256):
    cand_areas(c)
choice = {c: 0 for c in unk}
def A_of():
    A = np.zeros((256, 3))
    for c, a in known_a.items(): A[c] = a
    for c in unk: A[c] = cands[c][1][choice[c]]
    return A
r = P - C @ A_of()
for it in range(20):
    ch = 0
    for c in unk:
        base = cands[c][1][choice[c]]; col = C[:, c:c+1]
        best, bv = choice[c], np.abs(r).sum()
        for j, a in enumerate(cands[c][1]):
            v = np.abs(r - col * (a - base)).sum()
            if v < bv - 1e-9: best, bv = j, v
        if best != choice[c]:
            r -= col * (cands[c][1][best] - base); choice[c] = best; ch += 1
    print(it, ch, np.abs(r).max())
    if ch == 0: break
for c in unk:
    known[c] = cands[c][0][choice[c]]; known_a[c] = cands[c][1][choice[c]]
pickle.dump(known, open('known.pkl', 'wb'))
print('resid max', np.abs(r).max(), 'known', len(known))
