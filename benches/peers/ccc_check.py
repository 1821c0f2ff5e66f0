"""Independent check of Lin's CCC and its Fisher-z interval (Lin 1989, corrected 2000).

Python standard library only; written separately from src/stats/ccc.rs. Prints the
values that the unit test `interval_matches_independent_python_computation` compares
against. Run: python3 benches/peers/ccc_check.py (instant).
"""
import math
from statistics import NormalDist

x = [1.0, 2.0, 3.0, 4.0, 5.0]
y = [2.0, 3.0, 3.0, 5.0, 6.0]
n = len(x)
mx, my = sum(x) / n, sum(y) / n
vx = sum((a - mx) ** 2 for a in x) / n
vy = sum((b - my) ** 2 for b in y) / n
cxy = sum((a - mx) * (b - my) for a, b in zip(x, y)) / n
pc = 2 * cxy / (vx + vy + (mx - my) ** 2)
r = cxy / math.sqrt(vx * vy)
u = (mx - my) / math.sqrt(math.sqrt(vx) * math.sqrt(vy))
t1 = (1 - r * r) * pc * pc / ((1 - pc * pc) * r * r)
t2 = 2 * pc ** 3 * (1 - pc) * u * u / (r * (1 - pc * pc) ** 2)
t3 = pc ** 4 * u ** 4 / (2 * r * r * (1 - pc * pc) ** 2)
se = math.sqrt((t1 + t2 - t3) / (n - 2))
zq = NormalDist().inv_cdf(0.975)
z = 0.5 * math.log((1 + pc) / (1 - pc))
print(f"ccc {pc:.12g} lower {math.tanh(z - zq * se):.12g} upper {math.tanh(z + zq * se):.12g}")
