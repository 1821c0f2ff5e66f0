//! Invariance properties of the morphology, local intensity, statistics, histogram and
//! IVH families (proptest): translation of image and mask together, flips and 90-degree
//! in-plane rotations (every feature of these families is defined on Euclidean
//! distances and value sets, so they must not change), and morphology scaling with the
//! voxel spacing (volumes by s^3, areas by s^2, lengths by s, ratios unchanged).
//!
//! Tolerance: 1e-9 relative (only floating-point summation order differs); 1e-5 for the
//! minimum-volume enclosing ellipsoid, an iterative fit (see `assert_same`).

use ndarray::{s, Array3, Axis};
use proptest::prelude::*;
use radaudit::features::mesh::MeshKind;
use radaudit::features::{config::ExtractConfig, extract::extract, FeatureList};
use radaudit::image::{Geometry, Volume};

fn run(img: &Array3<f64>, mask: &Array3<bool>, spacing: [f64; 3]) -> FeatureList {
    let vol = Volume {
        data: img.clone(),
        geometry: Geometry {
            spacing,
            ..Default::default()
        },
    };
    let mut cfg = ExtractConfig::preset("ibsi-digital-phantom").unwrap();
    cfg.preprocess.margin_mm = 100.0;
    // The classic table (the default, which the references use) is not symmetric on masks
    // with ambiguous faces; the watertight mesh is, exactly (see features::mesh::MeshKind).
    cfg.mesh = MeshKind::Watertight;
    extract(&vol, mask, &cfg).unwrap()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-12)
}

fn assert_same(a: &FeatureList, b: &FeatureList, what: &str) {
    for ((n, x), (_, y)) in a.iter().zip(b) {
        // PyRadiomics' 2D diameters are per plane orientation: a rotation about z swaps
        // the column and row planes.
        if what == "rotation" && (n == "morph.diam_2d_column" || n == "morph.diam_2d_row") {
            continue;
        }
        // The enclosing ellipsoid stops at an optimality tolerance (features::mvee::EPS,
        // 1e-10): its volume is then within 2e-10 of the minimum whatever the iterate,
        // but its axes, and so its area, only to about the square root of that (the
        // volume is flat to first order at the optimum); a moved ROI starts the iterations
        // elsewhere.
        let rel = if n.ends_with("_mvee") { 1e-5 } else { 1e-9 };
        assert!(close(*x, *y, rel), "{what}: {n}: {x} vs {y}");
    }
}

/// A random ROI (at least a 2x2x2 block plus random voxels) and integer intensities.
fn case() -> impl Strategy<Value = (Array3<f64>, Array3<bool>)> {
    (
        proptest::collection::vec(1u8..8, 5 * 6 * 7),
        proptest::collection::vec(any::<bool>(), 5 * 6 * 7),
    )
        .prop_map(|(v, m)| {
            let img =
                Array3::from_shape_vec((5, 6, 7), v.into_iter().map(f64::from).collect()).unwrap();
            let mut mask = Array3::from_shape_vec((5, 6, 7), m).unwrap();
            mask.slice_mut(s![1..3, 2..4, 2..4]).fill(true);
            (img, mask)
        })
}

/// Embeds into a larger constant background at an offset. Offsets stay at least 7 voxels
/// (7 mm at these spacings) from the edge, so the 6.2 mm local-intensity sphere never
/// leaves the image (at the edge it holds fewer voxels, which is not a translation).
fn embed(a: &Array3<f64>, m: &Array3<bool>, off: [usize; 3]) -> (Array3<f64>, Array3<bool>) {
    let (z, y, x) = a.dim();
    let mut big = Array3::from_elem((z + 16, y + 16, x + 16), 3.0);
    let mut bm = Array3::from_elem((z + 16, y + 16, x + 16), false);
    big.slice_mut(s![
        off[0]..off[0] + z,
        off[1]..off[1] + y,
        off[2]..off[2] + x
    ])
    .assign(a);
    bm.slice_mut(s![
        off[0]..off[0] + z,
        off[1]..off[1] + y,
        off[2]..off[2] + x
    ])
    .assign(m);
    (big, bm)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn translation_invariance((img, mask) in case(), dz in 0usize..3, dy in 0usize..3) {
        let (a, am) = embed(&img, &mask, [8, 8, 8]);
        let (b, bm) = embed(&img, &mask, [dz + 7, dy + 7, 9]);
        assert_same(&run(&a, &am, [1.0, 1.2, 2.0]), &run(&b, &bm, [1.0, 1.2, 2.0]), "translation");
    }

    #[test]
    fn flip_invariance((img, mask) in case(), axis in 0usize..3) {
        let (a, am) = embed(&img, &mask, [8, 8, 8]);
        let mut b = a.clone();
        let mut bm = am.clone();
        b.invert_axis(Axis(axis));
        bm.invert_axis(Axis(axis));
        assert_same(&run(&a, &am, [1.0, 1.2, 2.0]), &run(&b, &bm, [1.0, 1.2, 2.0]), "flip");
    }

    #[test]
    fn in_plane_rotation_invariance((img, mask) in case()) {
        // 90 degrees about z: transpose y and x, then flip the new x (equal in-plane spacing).
        let (a, am) = embed(&img, &mask, [8, 8, 8]);
        let mut b = a.clone().permuted_axes([0, 2, 1]).as_standard_layout().to_owned();
        let mut bm = am.clone().permuted_axes([0, 2, 1]).as_standard_layout().to_owned();
        b.invert_axis(Axis(2));
        bm.invert_axis(Axis(2));
        assert_same(&run(&a, &am, [0.8, 0.8, 2.0]), &run(&b, &bm, [0.8, 0.8, 2.0]), "rotation");
    }

    #[test]
    fn morphology_scales_with_spacing((img, mask) in case(), k in 1.1f64..3.0) {
        let (a, am) = embed(&img, &mask, [8, 8, 8]);
        let base = run(&a, &am, [1.0, 1.2, 2.0]);
        let scaled = run(&a, &am, [k, 1.2 * k, 2.0 * k]);
        let get = |f: &FeatureList, n: &str| f.iter().find(|(m, _)| m == n).unwrap().1;
        for (n, p) in [("morph.vol", 3), ("morph.approx_vol", 3), ("morph.area", 2),
            ("morph.diam", 1), ("morph.pca_major", 1), ("morph.pca_least", 1),
            ("morph.sphericity", 0), ("morph.v_dens_conv_hull", 0), ("morph.moran_i", 0),
            ("morph.geary_c", 0), ("morph.a_dens_aee", 0)] {
            let want = get(&base, n) * k.powi(p);
            prop_assert!(close(get(&scaled, n), want, 1e-9), "{n}: {} vs {want}", get(&scaled, n));
        }
    }
}
