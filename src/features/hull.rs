//! 3D convex hull of a point set (incremental "beneath-beyond" construction; Preparata
//! and Hong 1977; O'Rourke, *Computational Geometry in C*, chapter 4), used for the
//! convex-hull morphology features and the maximum 3D diameter (IBSI-1 section 3.1).
//!
//! Points are first reduced to candidates: a hull vertex is the first or last point of
//! the points sharing its `(y, z)` (otherwise it would lie between two points of the set),
//! so only those extremes enter the construction. Points within `1e-9` of the scale of a
//! face plane count as on it (they never change the hull volume or area).

use std::collections::{BTreeMap, HashSet};

use super::mesh::{cross, dot, norm, sub};

/// A convex hull: triangles over the input points, outward orientation.
#[derive(Debug, Clone)]
pub struct Hull {
    /// Triangles as indices into the input points.
    pub triangles: Vec<[usize; 3]>,
}

impl Hull {
    /// Enclosed volume.
    pub fn volume(&self, p: &[[f64; 3]]) -> f64 {
        let v: f64 = self
            .triangles
            .iter()
            .map(|t| dot(p[t[0]], cross(p[t[1]], p[t[2]])))
            .sum();
        (v / 6.0).abs()
    }

    /// Surface area.
    pub fn area(&self, p: &[[f64; 3]]) -> f64 {
        self.triangles
            .iter()
            .map(|t| norm(cross(sub(p[t[1]], p[t[0]]), sub(p[t[2]], p[t[0]]))) / 2.0)
            .sum()
    }

    /// Distinct vertex indices, ascending.
    pub fn vertices(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.triangles.iter().flatten().copied().collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

struct Face {
    v: [usize; 3],
    n: [f64; 3],
    d: f64,
    alive: bool,
}

fn face(p: &[[f64; 3]], v: [usize; 3]) -> Face {
    let n = cross(sub(p[v[1]], p[v[0]]), sub(p[v[2]], p[v[0]]));
    let l = norm(n);
    let n = if l > 0.0 {
        [n[0] / l, n[1] / l, n[2] / l]
    } else {
        n
    };
    Face {
        v,
        n,
        d: dot(n, p[v[0]]),
        alive: true,
    }
}

/// Convex hull of `points`; `None` when they are coplanar (no volume) or fewer than 4.
pub fn convex_hull(points: &[[f64; 3]]) -> Option<Hull> {
    // Candidates: extremes of each (y, z) row.
    let mut rows: BTreeMap<(u64, u64), (usize, usize)> = BTreeMap::new();
    for (i, q) in points.iter().enumerate() {
        let key = (q[1].to_bits(), q[2].to_bits());
        let e = rows.entry(key).or_insert((i, i));
        if q[0] < points[e.0][0] {
            e.0 = i;
        }
        if q[0] > points[e.1][0] {
            e.1 = i;
        }
    }
    let mut cand: Vec<usize> = rows.values().flat_map(|&(a, b)| [a, b]).collect();
    cand.sort_unstable();
    cand.dedup();
    if cand.len() < 4 {
        return None;
    }
    let p = points;

    // Scale for the tolerance.
    let mut scale: f64 = 0.0;
    for &i in &cand {
        for c in 0..3 {
            scale = scale.max((p[i][c] - p[cand[0]][c]).abs());
        }
    }
    let eps = 1e-9 * scale.max(1e-300);

    // Initial tetrahedron.
    let i0 = cand[0];
    let i1 = *cand
        .iter()
        .max_by(|&&a, &&b| norm(sub(p[a], p[i0])).total_cmp(&norm(sub(p[b], p[i0]))))?;
    let line = sub(p[i1], p[i0]);
    let i2 = *cand.iter().max_by(|&&a, &&b| {
        norm(cross(line, sub(p[a], p[i0]))).total_cmp(&norm(cross(line, sub(p[b], p[i0]))))
    })?;
    let plane = cross(line, sub(p[i2], p[i0]));
    if norm(plane) <= eps * scale {
        return None;
    }
    let i3 = *cand.iter().max_by(|&&a, &&b| {
        dot(plane, sub(p[a], p[i0]))
            .abs()
            .total_cmp(&dot(plane, sub(p[b], p[i0])).abs())
    })?;
    if dot(plane, sub(p[i3], p[i0])).abs() / norm(plane) <= eps {
        return None;
    }
    let centre: [f64; 3] =
        std::array::from_fn(|c| (p[i0][c] + p[i1][c] + p[i2][c] + p[i3][c]) / 4.0);
    let mut faces: Vec<Face> = Vec::new();
    for v in [[i0, i1, i2], [i0, i1, i3], [i0, i2, i3], [i1, i2, i3]] {
        let mut f = face(p, v);
        if dot(f.n, centre) - f.d > 0.0 {
            f = face(p, [v[0], v[2], v[1]]);
        }
        faces.push(f);
    }

    // Add the remaining candidates.
    for &q in &cand {
        if [i0, i1, i2, i3].contains(&q) {
            continue;
        }
        let visible: Vec<usize> = (0..faces.len())
            .filter(|&f| faces[f].alive && dot(faces[f].n, p[q]) - faces[f].d > eps)
            .collect();
        if visible.is_empty() {
            continue;
        }
        let mut directed: HashSet<(usize, usize)> = HashSet::new();
        for &f in &visible {
            let v = faces[f].v;
            for k in 0..3 {
                directed.insert((v[k], v[(k + 1) % 3]));
            }
        }
        let mut horizon: Vec<(usize, usize)> = Vec::new();
        for &f in &visible {
            let v = faces[f].v;
            for k in 0..3 {
                let (a, b) = (v[k], v[(k + 1) % 3]);
                if !directed.contains(&(b, a)) {
                    horizon.push((a, b));
                }
            }
            faces[f].alive = false;
        }
        for (a, b) in horizon {
            faces.push(face(p, [a, b, q]));
        }
        if faces.len() > 64 && faces.iter().filter(|f| f.alive).count() * 2 < faces.len() {
            faces.retain(|f| f.alive);
        }
    }
    Some(Hull {
        triangles: faces.iter().filter(|f| f.alive).map(|f| f.v).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cube_with_inner_points() {
        let mut pts = Vec::new();
        for z in 0..3 {
            for y in 0..3 {
                for x in 0..3 {
                    pts.push([x as f64, y as f64 * 2.0, z as f64]);
                }
            }
        }
        let h = convex_hull(&pts).unwrap();
        assert!((h.volume(&pts) - 2.0 * 4.0 * 2.0).abs() < 1e-9);
        assert!((h.area(&pts) - 2.0 * (8.0 + 4.0 + 8.0)).abs() < 1e-9);
    }

    #[test]
    fn coplanar_points_have_no_hull() {
        let pts = vec![
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [1.0, 1.0, 0.0],
        ];
        assert!(convex_hull(&pts).is_none());
    }
}
