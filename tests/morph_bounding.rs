//! Oriented minimum bounding box (ZH1A, IQYR) and minimum-volume enclosing ellipsoid
//! (SWZ1, BRI8) densities against analytic answers.
//!
//! IBSI-1 reference values exist only for the OMBB densities of the digital phantom (the
//! manual's benchmark tables, theibsi/ibsi-doc docs/03_Image_features.rst at b952e71:
//! 0.869 and 0.866, tolerance 0.005, "moderate"; `reference_values.csv` omits them) and
//! for the OMBB area density on configuration E, which radaudit's reference data lack.
//! Everything else here is checked against geometry:
//! - a box of voxels: its OMBB is its axis-aligned box; turned by 30 degrees, the OMBB
//!   volume lies within bounds set by the voxel size and the density rises towards 1 as
//!   the voxels shrink;
//! - a ball of voxels centred on a voxel has the symmetry of the cube, so its MVEE is a
//!   sphere about that centre: the one through the farthest mesh vertex;
//! - a solid ellipsoid's PCA ellipsoid (AEE, semi-axes 2 sqrt(lambda)) is its MVEE shrunk
//!   by 2 / sqrt(5), since a uniform solid ellipsoid has variance a^2 / 5 along a
//!   semi-axis a;
//! - invariants: the box and the ellipsoid enclose the hull (densities at most the
//!   convex-hull density), the OMBB is at most the axis-aligned box, and translation
//!   changes nothing.

use std::f64::consts::PI;
use std::path::Path;

use ndarray::Array3;
use radaudit::features::config::ExtractConfig;
use radaudit::features::extract;
use radaudit::features::hull::convex_hull;
use radaudit::features::mesh::{mesh, MeshKind};
use radaudit::features::morphology::{features, PcaNorm};
use radaudit::features::ombb::oriented_min_box;

type Map = std::collections::BTreeMap<String, f64>;

/// Morphology of a mask (image constant 1) with the default mesh.
fn morph(mask: &Array3<bool>, spacing: [f64; 3]) -> Map {
    let img = Array3::from_elem(mask.dim(), 1.0);
    features(
        &img,
        mask,
        mask,
        spacing,
        PcaNorm::Sample,
        MeshKind::Classic,
    )
    .into_iter()
    .collect()
}

/// Voxels (grid `dim` = (z, y, x), spacing `h` mm isotropic) whose centres satisfy `inside`
/// (a function of the centre in mm, relative to the grid centre).
fn voxelise(dim: [usize; 3], h: f64, inside: impl Fn([f64; 3]) -> bool) -> Array3<bool> {
    let c: [f64; 3] = std::array::from_fn(|k| (dim[2 - k] as f64 - 1.0) / 2.0);
    Array3::from_shape_fn((dim[0], dim[1], dim[2]), |(z, y, x)| {
        inside([
            (x as f64 - c[0]) * h,
            (y as f64 - c[1]) * h,
            (z as f64 - c[2]) * h,
        ])
    })
}

/// Rotation by `angle` about the unit axis `k` (Rodrigues), applied to `p`.
fn rotate(p: [f64; 3], k: [f64; 3], angle: f64) -> [f64; 3] {
    let (s, c) = angle.sin_cos();
    let kx = [
        k[1] * p[2] - k[2] * p[1],
        k[2] * p[0] - k[0] * p[2],
        k[0] * p[1] - k[1] * p[0],
    ];
    let kd = k[0] * p[0] + k[1] * p[1] + k[2] * p[2];
    std::array::from_fn(|i| p[i] * c + kx[i] * s + k[i] * kd * (1.0 - c))
}

/// A box of sides `l` (mm) centred on the grid, turned by `angle` about `axis`.
fn box_mask(l: [f64; 3], h: f64, axis: [f64; 3], angle: f64) -> Array3<bool> {
    let r = l.iter().map(|v| v * v).sum::<f64>().sqrt() / 2.0;
    let n = (2.0 * r / h).ceil() as usize + 5;
    voxelise([n, n, n], h, |p| {
        // Into the box's frame: turn back.
        let q = rotate(p, axis, -angle);
        (0..3).all(|k| q[k].abs() <= l[k] / 2.0)
    })
}

#[test]
fn digital_phantom_ombb_densities_match_the_manual() {
    let data = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/ibsi"));
    let cfg = ExtractConfig::preset("ibsi-digital-phantom").unwrap();
    let f: Map = extract::extract_files(
        &data.join("digital_phantom/image.nii.gz"),
        &data.join("digital_phantom/mask.nii.gz"),
        1,
        &cfg,
    )
    .unwrap()
    .into_iter()
    .collect();
    // The manual's tables (not in reference_values.csv): value and tolerance.
    for (name, want, tol) in [
        ("morph.v_dens_ombb", 0.869, 0.005),
        ("morph.a_dens_ombb", 0.866, 0.005),
    ] {
        assert!(
            (f[name] - want).abs() <= tol,
            "{name}: {} vs {want}",
            f[name]
        );
    }
}

#[test]
fn axis_aligned_box_ombb_is_its_bounding_box() {
    // 12 x 8 x 5 voxels, anisotropic spacing: no turned box is smaller than the
    // axis-aligned one, whose faces are hull faces; the densities agree to rounding.
    let mut m = Array3::from_elem((9, 12, 16), false);
    m.slice_mut(ndarray::s![2..7, 2..10, 2..14]).fill(true);
    let f = morph(&m, [0.8, 1.1, 2.0]);
    for (o, a) in [
        ("morph.v_dens_ombb", "morph.v_dens_aabb"),
        ("morph.a_dens_ombb", "morph.a_dens_aabb"),
    ] {
        assert!(
            (f[o] - f[a]).abs() <= 1e-12 * f[a],
            "{o} {} vs {a} {}",
            f[o],
            f[a]
        );
    }
}

/// OMBB volume of a voxelised box relative to the box, with its rigorous bounds.
///
/// Upper: every mesh vertex sits half-way between an ROI voxel centre (inside the box)
/// and a non-ROI one, so within h/2 of the box along one grid axis, hence within h/2 of
/// the box in the box's own frame: the box grown by h/2 per side, volume prod(l + h),
/// encloses the vertices. It bounds our face-flush result when that grown box's
/// orientation is among the candidates, which holds for a turn about z (the top and
/// bottom voxel layers are flat hull faces normal to z).
/// Lower: a point deeper than sqrt(3) h inside the box has all 8 corners of its grid cell
/// in the box, so the hull of the ROI voxel centres (inside the vertices' hull) holds the
/// box shrunk by sqrt(3) h per side, and any enclosing box is at least that large.
fn ombb_ratio_and_bounds(l: [f64; 3], h: f64, axis: [f64; 3]) -> (f64, f64, f64, Map) {
    let m = box_mask(l, h, axis, 30f64.to_radians());
    let f = morph(&m, [h; 3]);
    let v_box: f64 = l.iter().product();
    let v_ombb = f["morph.vol"] / f["morph.v_dens_ombb"];
    let upper: f64 = l.iter().map(|v| (v + h) / v).product();
    let lower: f64 = l.iter().map(|v| (v - 2.0 * 3f64.sqrt() * h) / v).product();
    (v_ombb / v_box, lower, upper, f)
}

#[test]
fn box_turned_30_degrees_about_z_keeps_its_ombb() {
    let l = [24.0, 12.0, 10.0];
    let mut dens = Vec::new();
    for h in [1.0, 0.5, 0.25] {
        let (ratio, lower, upper, f) = ombb_ratio_and_bounds(l, h, [0.0, 0.0, 1.0]);
        assert!(
            ratio >= lower && ratio <= upper,
            "h {h}: {lower} <= {ratio} <= {upper}"
        );
        // Density floor: the mesh holds the box shrunk by sqrt(3) h per side (as for the
        // lower bound above), the OMBB is at most the box grown by h/2 per side.
        let floor: f64 = l
            .iter()
            .map(|v| (v - 2.0 * 3f64.sqrt() * h) / (v + h))
            .product();
        assert!(
            f["morph.v_dens_ombb"] >= floor,
            "h {h}: {f:?} floor {floor}"
        );
        // The axis-aligned box of the turned box is twice as large (continuous: (24 cos 30
        // + 12 sin 30)(24 sin 30 + 12 cos 30) 10 = 5997 vs 2880 mm^3): OMBB found the turn.
        assert!(
            f["morph.v_dens_ombb"] > 1.8 * f["morph.v_dens_aabb"],
            "{f:?}"
        );
        dens.push(f["morph.v_dens_ombb"]);
    }
    // Density rises towards 1 as the voxels shrink (the mesh error is first order in h).
    assert!(
        dens[0] < dens[1] && dens[1] < dens[2] && dens[2] < 1.0,
        "{dens:?}"
    );
}

#[test]
fn box_turned_30_degrees_about_an_oblique_axis_keeps_its_ombb() {
    // No hull face is exactly parallel to a box face here, so the upper bound is not
    // guaranteed by the method (see features::ombb); it holds because the staircase faces'
    // hull planes lie within a voxel of the box's faces.
    let l = [24.0, 12.0, 10.0];
    let k = 1.0 / 3f64.sqrt();
    let mut dens = Vec::new();
    for h in [1.0, 0.5] {
        let (ratio, lower, upper, f) = ombb_ratio_and_bounds(l, h, [k, k, k]);
        assert!(
            ratio >= lower && ratio <= upper,
            "h {h}: {lower} <= {ratio} <= {upper}"
        );
        dens.push(f["morph.v_dens_ombb"]);
    }
    assert!(dens[0] < dens[1] && dens[1] < 1.0, "{dens:?}");
}

#[test]
fn voxelised_ball_mvee_is_the_sphere_through_the_farthest_vertex() {
    for (r, h) in [(6.3f64, 1.0f64), (6.3, 0.5)] {
        let n = (2.0 * r / h).ceil() as usize + 5;
        let n = n | 1; // odd: the grid centre is a voxel centre
        let m = voxelise([n, n, n], h, |p| {
            p.iter().map(|v| v * v).sum::<f64>() <= r * r
        });
        let f = morph(&m, [h; 3]);

        // Farthest mesh vertex from the ball's centre (the grid centre).
        let me = mesh(&m, [h; 3], MeshKind::Classic);
        let c = (n as f64 - 1.0) / 2.0 * h;
        let r_max = me
            .vertices
            .iter()
            .map(|p| p.iter().map(|v| (v - c) * (v - c)).sum::<f64>().sqrt())
            .fold(0.0, f64::max);
        let (v, a) = (f["morph.vol"], f["morph.area"]);
        let v_dens = v / (4.0 / 3.0 * PI * r_max.powi(3));
        let a_dens = a / (4.0 * PI * r_max * r_max);
        // 2e-10 from the iteration's volume bound; the area series adds terms of order
        // alpha^2 ~ 1e-10 for a near-sphere.
        assert!(
            (f["morph.v_dens_mvee"] - v_dens).abs() < 1e-9,
            "{f:?} {v_dens}"
        );
        assert!(
            (f["morph.a_dens_mvee"] - a_dens).abs() < 1e-8,
            "{f:?} {a_dens}"
        );
    }
}

#[test]
fn ball_mvee_densities_approach_one() {
    // The MVEE's radius is at most r + h/2 (mesh vertices lie within h/2 of the sphere)
    // and the mesh holds the ball shrunk by sqrt(3) h (a point that deep has its whole
    // grid cell in the ball), so the volume density is at least
    // ((r - sqrt(3) h) / (r + h/2))^3, which tends to 1 with h / r. The area density
    // (mesh area over sphere area) stays near 1: a staircase mesh has a little more area
    // than the sphere, the MVEE a little more radius.
    let r = 6.0f64;
    let mut v = Vec::new();
    for h in [1.0, 0.5, 0.25] {
        let n = ((2.0 * r / h).ceil() as usize + 5) | 1;
        let m = voxelise([n, n, n], h, |p| {
            p.iter().map(|x| x * x).sum::<f64>() <= r * r
        });
        let f = morph(&m, [h; 3]);
        let floor = ((r - 3f64.sqrt() * h) / (r + h / 2.0)).powi(3);
        assert!(
            f["morph.v_dens_mvee"] < 1.0 && f["morph.v_dens_mvee"] >= floor,
            "{f:?}"
        );
        assert!(
            f["morph.a_dens_mvee"] > 0.9 && f["morph.a_dens_mvee"] < 1.2,
            "{f:?}"
        );
        v.push(f["morph.v_dens_mvee"]);
    }
    assert!(v[0] < v[1] && v[1] < v[2], "{v:?}");
}

#[test]
fn ellipsoid_aee_is_its_mvee_shrunk_by_2_over_sqrt5() {
    // Semi-axes (14.3, 9.6, 6.2) mm on a 0.5 mm grid, centred on a voxel: reflection
    // symmetric, so the MVEE is axis-aligned and centred. Its volume relative to the
    // ellipsoid E: at least prod(1 - h / (2 a_k)) (it holds the outermost vertex on each
    // axis, beyond a_k - h/2) and at most (1 + h / (2 c))^3 (every vertex lies within h/2
    // of E, so inside E scaled by 1 + h / (2 c)). The AEE's volume relative to
    // (2 / sqrt 5)^3 E is allowed a relative h / c either way (second moments of a voxel
    // set differ from the solid's by a boundary layer of one voxel).
    let (semi, h): ([f64; 3], f64) = ([14.3, 9.6, 6.2], 0.5);
    let dim: [usize; 3] =
        std::array::from_fn(|k| ((2.0 * semi[2 - k] / h).ceil() as usize + 5) | 1);
    let m = voxelise(dim, h, |p| {
        (0..3).map(|k| (p[k] / semi[k]).powi(2)).sum::<f64>() <= 1.0
    });
    let f = morph(&m, [h; 3]);
    let ratio = f["morph.v_dens_aee"] / f["morph.v_dens_mvee"]; // V_mvee / V_aee
    let want = (5f64.sqrt() / 2.0).powi(3);
    let c = semi[2];
    let lo = semi.iter().map(|a| 1.0 - h / (2.0 * a)).product::<f64>() / (1.0 + h / c);
    let hi = (1.0 + h / (2.0 * c)).powi(3) / (1.0 - h / c);
    assert!(
        ratio >= want * lo && ratio <= want * hi,
        "{} <= {ratio} <= {}",
        want * lo,
        want * hi
    );
}

/// A small deterministic generator (xorshift64*), so failures name their seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A random blob: a 3 x 3 x 3 core and voxels kept with probability 0.5 around it.
fn blob(seed: u64) -> Array3<bool> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut m = Array3::from_shape_fn((7, 8, 9), |(z, y, x)| {
        let edge = z == 0 || y == 0 || x == 0 || z == 6 || y == 7 || x == 8;
        !edge && rng.next() < 0.5
    });
    m.slice_mut(ndarray::s![2..5, 3..6, 3..6]).fill(true);
    m
}

#[test]
fn densities_respect_the_hull_and_the_axis_aligned_box() {
    // V_ombb >= V_hull and V_mvee >= V_hull (both enclose the hull), V_ombb <= V_aabb.
    for seed in 1..=30u64 {
        let f = morph(&blob(seed), [0.9, 1.0, 1.7]);
        let (hull, aabb) = (f["morph.v_dens_conv_hull"], f["morph.v_dens_aabb"]);
        let tol = 1e-12;
        assert!(
            f["morph.v_dens_ombb"] <= hull * (1.0 + tol),
            "seed {seed}: {f:?}"
        );
        assert!(
            f["morph.v_dens_mvee"] <= hull * (1.0 + tol),
            "seed {seed}: {f:?}"
        );
        assert!(
            f["morph.v_dens_ombb"] >= aabb * (1.0 - tol),
            "seed {seed}: {f:?}"
        );
        assert!(f["morph.a_dens_ombb"].is_finite() && f["morph.a_dens_mvee"].is_finite());
    }
}

#[test]
fn densities_do_not_move_with_the_roi() {
    // The same blob at two places in a larger grid, anisotropic spacing.
    let b = blob(7);
    let (z, y, x) = b.dim();
    let place = |o: [usize; 3]| {
        let mut m = Array3::from_elem((z + 12, y + 12, x + 12), false);
        m.slice_mut(ndarray::s![o[0]..o[0] + z, o[1]..o[1] + y, o[2]..o[2] + x])
            .assign(&b);
        m
    };
    let s = [0.7, 1.3, 2.5];
    let (f, g) = (morph(&place([1, 2, 3]), s), morph(&place([9, 5, 11]), s));
    for n in [
        "morph.v_dens_ombb",
        "morph.a_dens_ombb",
        "morph.v_dens_mvee",
        "morph.a_dens_mvee",
    ] {
        assert!(
            (f[n] - g[n]).abs() <= 1e-9 * f[n],
            "{n}: {} vs {}",
            f[n],
            g[n]
        );
    }
}

#[test]
fn one_voxel_has_the_octahedron_values() {
    // Mesh of one voxel: the octahedron of its face centres (volume 1/6, area sqrt 3).
    // MVEE: the sphere of radius 1/2 (cube symmetry), so densities 1/pi and sqrt 3 / pi.
    // Face-flush box: height 1/sqrt 3 (between opposite faces) over the rectangle around
    // the regular hexagon of circumradius 1/sqrt 6 (sides 1/sqrt 2 and 2/sqrt 6): volume
    // 1/3, so volume density 1/2 (the axis-aligned box, volume 1, is larger).
    let mut m = Array3::from_elem((3, 3, 3), false);
    m[[1, 1, 1]] = true;
    let f = morph(&m, [1.0; 3]);
    assert!((f["morph.v_dens_mvee"] - 1.0 / PI).abs() < 1e-9, "{f:?}");
    assert!(
        (f["morph.a_dens_mvee"] - 3f64.sqrt() / PI).abs() < 1e-9,
        "{f:?}"
    );
    assert!((f["morph.v_dens_ombb"] - 0.5).abs() < 1e-9, "{f:?}");
}

#[test]
fn face_flush_box_is_close_to_a_dense_orientation_search() {
    // Orientation search independent of the method: 1500 directions n (Fibonacci
    // hemisphere) for the first axis, and for each the best of 180 in-plane angles (0.5
    // degree steps); then the best orientation is polished by coordinate descent on three
    // rotation angles with shrinking steps. The face-flush box must be no more than 0.5%
    // larger (the module doc's claim) on a turned voxelised ellipsoid, a turned union of
    // three balls and random blobs. (When written: 0.46% smaller than the search's on the
    // ellipsoid, 0.44% larger on the balls, equal to 2e-7 on the blobs.)
    let mut cases = vec![
        voxelise([21, 27, 37], 1.0, |p| {
            let q = rotate(p, [0.6, 0.0, 0.8], 0.5);
            (q[0] / 16.0).powi(2) + (q[1] / 11.0).powi(2) + (q[2] / 8.0).powi(2) <= 1.0
        }),
        voxelise([25, 25, 25], 1.0, |p| {
            let q = rotate(p, [0.0, 0.6, 0.8], 0.7);
            let ball =
                |c: [f64; 3], r: f64| (0..3).map(|k| (q[k] - c[k]).powi(2)).sum::<f64>() <= r * r;
            ball([-5.0, 0.0, 0.0], 5.5) || ball([5.0, 2.0, 1.0], 4.0) || ball([0.0, -3.0, 4.0], 3.5)
        }),
    ];
    cases.extend((1..=3).map(blob));
    for (i, m) in cases.iter().enumerate() {
        let me = mesh(m, [1.0; 3], MeshKind::Classic);
        let hull = convex_hull(&me.vertices).unwrap();
        let search = oriented_min_box(&me.vertices, &hull);
        assert_eq!(search.rejected, 0, "case {i}");
        let ours = search.best.volume();
        let pts: Vec<[f64; 3]> = hull.vertices().iter().map(|&k| me.vertices[k]).collect();
        let searched = dense_search(&pts);
        assert!(
            ours <= searched * 1.005,
            "case {i}: ours {ours}, search {searched}"
        );
    }
}

/// Volume of the box with axes from rotation angles (alpha, beta, gamma): z-y-z Euler.
fn box_volume(pts: &[[f64; 3]], e: [f64; 3]) -> f64 {
    let axes = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]].map(|a| {
        let a = rotate(a, [0.0, 0.0, 1.0], e[2]);
        let a = rotate(a, [0.0, 1.0, 0.0], e[1]);
        rotate(a, [0.0, 0.0, 1.0], e[0])
    });
    axes.iter()
        .map(|a| {
            let (lo, hi) = pts
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |acc, p| {
                    let t = a[0] * p[0] + a[1] * p[1] + a[2] * p[2];
                    (acc.0.min(t), acc.1.max(t))
                });
            hi - lo
        })
        .product()
}

fn dense_search(pts: &[[f64; 3]]) -> f64 {
    let golden = PI * (3.0 - 5f64.sqrt());
    let n_dir = 1500;
    let mut best = (f64::INFINITY, [0.0; 3]);
    for i in 0..n_dir {
        // Upper hemisphere suffices (n and -n give the same box).
        let z = 1.0 - (i as f64 + 0.5) / n_dir as f64;
        let (theta, phi) = (z.acos(), golden * i as f64);
        for s in 0..180 {
            let e = [phi, theta, s as f64 * PI / 360.0];
            let v = box_volume(pts, e);
            if v < best.0 {
                best = (v, e);
            }
        }
    }
    let (mut v, mut e) = best;
    let mut step = 0.01;
    while step > 1e-7 {
        let mut moved = false;
        for k in 0..3 {
            for sgn in [-1.0, 1.0] {
                let mut t = e;
                t[k] += sgn * step;
                let w = box_volume(pts, t);
                if w < v {
                    (v, e, moved) = (w, t, true);
                }
            }
        }
        if !moved {
            step /= 2.0;
        }
    }
    v
}
