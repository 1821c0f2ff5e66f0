//! Grey level co-occurrence matrix features (IBSI-1 manual section 3.6, family LFYI;
//! Haralick et al. 1973).
//!
//! The GLCM of direction `m` at Chebyshev distance delta counts the pairs of ROI voxels
//! `(k, k + delta m)` with grey levels `(i, j)`. It is made symmetric by counting every pair
//! in both orders (IBSI default), then normalised: `p_ij = c_ij / sum c`. There are 13
//! directions in 3D and 4 in 2D (in-plane). Pairs whose neighbour lies outside the ROI are
//! not counted.
//!
//! Symbols (IBSI): `p_i. = sum_j p_ij` (`= p_.j` for the symmetric matrix);
//! `mu = sum_ij i p_ij`; `p_{i-j}(k) = sum_{|i-j|=k} p_ij`, `p_{i+j}(k) = sum_{i+j=k} p_ij`;
//! `HXY` the joint entropy, `HX = -sum_i p_i. log2 p_i.`,
//! `HXY1 = -sum_ij p_ij log2(p_i. p_.j)`, `HXY2 = -sum_ij p_i. p_.j log2(p_i. p_.j)`;
//! `N_g` the number of grey levels of the discretisation. `i`, `j` are grey levels, not
//! matrix indices: rows of absent grey levels are dropped, which changes no IBSI feature.
//!
//! # Degenerate cases
//! - Empty matrix (no neighbour pair, e.g. a one-voxel ROI or slice): every feature is
//!   undefined; the matrix is left out of averages with a warning, and an aggregation
//!   with no non-empty matrix gives NaN.
//! - One grey level: `sigma = 0` and `HX = 0`, so correlation (NI2N) and information
//!   correlation 1 (R8DG) are 0/0: NaN with a warning in IBSI mode; PyRadiomics sets
//!   `Correlation = 1`, `Imc1 = 0` and `MCC = 1` (its `flatRegion` baseline).

use crate::preprocess::Discretised;

use super::aggregate::{mean_finite, push_ibsi, push_pyradiomics, Aggregation};
use super::grid::{Grid, DIRECTIONS, N_2D_DIRECTIONS};
use super::stats::PYRADIOMICS_EPS;
use super::{FeatureInfo, TextureMode, TextureSettings};

const FAMILY: &str = "glcm";

const fn f(name: &'static str, ibsi: &'static str, py: &'static str) -> FeatureInfo {
    FeatureInfo {
        name,
        ibsi: if ibsi.is_empty() { None } else { Some(ibsi) },
        pyradiomics: if py.is_empty() { None } else { Some(py) },
    }
}

/// GLCM features: canonical name, IBSI code, PyRadiomics name. Order of
/// [`matrix_features`]' output.
pub const FEATURES: &[FeatureInfo] = &[
    f("joint_max", "GYBY", "MaximumProbability"),
    f("joint_avg", "60VM", "JointAverage"),
    f("joint_var", "UR99", "SumSquares"),
    f("joint_entr", "TU9B", "JointEntropy"),
    f("diff_avg", "TF7R", "DifferenceAverage"),
    f("diff_var", "D3YU", "DifferenceVariance"),
    f("diff_entr", "NTRS", "DifferenceEntropy"),
    f("sum_avg", "ZGXS", "SumAverage"),
    f("sum_var", "OEEB", ""),
    f("sum_entr", "P6QZ", "SumEntropy"),
    f("energy", "8ZQL", "JointEnergy"),
    f("contrast", "ACUI", "Contrast"),
    f("dissimilarity", "8S9J", ""),
    f("inv_diff", "IB1Z", "Id"),
    f("inv_diff_norm", "NDRX", "Idn"),
    f("inv_diff_mom", "WF0Z", "Idm"),
    f("inv_diff_mom_norm", "1QCO", "Idmn"),
    f("inv_var", "E8JP", "InverseVariance"),
    f("corr", "NI2N", "Correlation"),
    f("auto_corr", "QWB0", "Autocorrelation"),
    f("clust_tend", "DG8W", "ClusterTendency"),
    f("clust_shade", "7NFM", "ClusterShade"),
    f("clust_prom", "AE86", "ClusterProminence"),
    f("info_corr_1", "R8DG", "Imc1"),
    f("info_corr_2", "JN9H", "Imc2"),
    f("mcc", "", "MCC"),
];

/// Symmetric co-occurrence counts over the compact grey levels, row-major `n x n`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cooc {
    n: usize,
    counts: Vec<f64>,
}

impl Cooc {
    fn new(n: usize) -> Self {
        Self {
            n,
            counts: vec![0.0; n * n],
        }
    }

    fn merge(&mut self, other: &Cooc) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    fn total(&self) -> f64 {
        self.counts.iter().sum()
    }
}

/// Counts the pairs `(k, k + offset)` for the voxels `k` of `voxels`, in both orders.
fn count_pairs(grid: &Grid, offset: isize, voxels: impl Iterator<Item = usize>, m: &mut Cooc) {
    for k in voxels {
        let a = grid.cells[k];
        if a == 0 {
            continue;
        }
        let b = grid.cells[(k as isize + offset) as usize];
        if b == 0 {
            continue;
        }
        let (a, b) = (a as usize - 1, b as usize - 1);
        m.counts[a * m.n + b] += 1.0;
        m.counts[b * m.n + a] += 1.0;
    }
}

/// Computes GLCM features for a discretised ROI.
///
/// IBSI mode returns the 25 IBSI features for each of the six aggregation methods
/// (`glcm.<feature>.<2d_avg|2d_smrg|2_5d_dmrg|2_5d_mrg|3d_avg|3d_mrg>`). PyRadiomics mode
/// returns its 24 features, averaged over directions (`3d_avg`, or `2_5d_dmrg` with
/// `force_2d`) or from the summed matrix with `merge_directions` (`3d_mrg`, `2_5d_mrg`).
///
/// # Reference
/// IBSI-1 manual section 3.6; PyRadiomics documentation, "Gray Level Co-occurrence Matrix
/// (GLCM) Features".
pub fn features(d: &Discretised, settings: &TextureSettings) -> Vec<(String, f64)> {
    let delta = settings.distance.max(1);
    let grid = Grid::new(d, delta);
    let mut out = Vec::new();
    match settings.mode {
        TextureMode::Ibsi => {
            for (agg, values) in ibsi_aggregations(&grid, delta) {
                push_ibsi(&mut out, FAMILY, FEATURES, agg, &values);
            }
        }
        TextureMode::PyRadiomics(opts) => {
            let dirs = if opts.force_2d {
                N_2D_DIRECTIONS
            } else {
                DIRECTIONS.len()
            };
            let mats = volume_matrices(&grid, delta, dirs);
            let agg = match (opts.force_2d, opts.merge_directions) {
                (false, false) => Aggregation::Avg3d,
                (false, true) => Aggregation::Merged3d,
                (true, false) => Aggregation::DirectionMerged2_5d,
                (true, true) => Aggregation::Merged2_5d,
            };
            let conv = Convention::PyRadiomics;
            let values = if opts.merge_directions {
                merged_features(&grid, &mats, conv, agg)
            } else {
                averaged_features(&grid, &mats, conv, agg)
            };
            push_pyradiomics(&mut out, FAMILY, FEATURES, agg, &values);
        }
    }
    out
}

/// Which reference's conventions the feature formulas follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Convention {
    Ibsi,
    PyRadiomics,
}

/// Directional matrices over the whole volume for the first `dirs` of [`DIRECTIONS`].
fn volume_matrices(grid: &Grid, delta: usize, dirs: usize) -> Vec<Cooc> {
    let all: Vec<usize> = grid.slices().flat_map(|z| grid.slice_voxels(z)).collect();
    DIRECTIONS[..dirs]
        .iter()
        .map(|dir| {
            let step = [
                dir[0] * delta as isize,
                dir[1] * delta as isize,
                dir[2] * delta as isize,
            ];
            let mut m = Cooc::new(grid.n_p());
            count_pairs(grid, grid.offset(step), all.iter().copied(), &mut m);
            m
        })
        .collect()
}

/// The six IBSI aggregations, built from one visit of every (voxel, direction) pair:
/// per-slice in-plane matrices feed the 2D methods and are summed into the 2.5D and the
/// in-plane 3D matrices; the 9 cross-slice directions are counted over the volume.
fn ibsi_aggregations(grid: &Grid, delta: usize) -> Vec<(Aggregation, Vec<f64>)> {
    let n = grid.n_p();
    let conv = Convention::Ibsi;
    let scaled = |dir: &[isize; 3]| {
        let d = delta as isize;
        grid.offset([dir[0] * d, dir[1] * d, dir[2] * d])
    };

    // 2D: per slice and in-plane direction.
    let mut per_direction = vec![Cooc::new(n); N_2D_DIRECTIONS];
    let mut rows_avg = Vec::new();
    let mut rows_slice = Vec::new();
    let (mut empty_avg, mut empty_slice, mut n_avg, mut n_slice) = (0, 0, 0, 0);
    for z in grid.slices() {
        let mut slice_merged = Cooc::new(n);
        for (dir, acc) in DIRECTIONS[..N_2D_DIRECTIONS].iter().zip(&mut per_direction) {
            let mut m = Cooc::new(n);
            count_pairs(grid, scaled(dir), grid.slice_voxels(z), &mut m);
            n_avg += 1;
            match matrix_features(&m, grid, conv) {
                Some(v) => rows_avg.push(v),
                None => empty_avg += 1,
            }
            slice_merged.merge(&m);
            acc.merge(&m);
        }
        n_slice += 1;
        match matrix_features(&slice_merged, grid, conv) {
            Some(v) => rows_slice.push(v),
            None => empty_slice += 1,
        }
    }
    warn_skipped(Aggregation::Avg2d, empty_avg, n_avg);
    warn_skipped(Aggregation::SliceMerged2d, empty_slice, n_slice);

    // 3D: the in-plane directions are the 2.5D per-direction sums.
    let mut volume = per_direction.clone();
    let all: Vec<usize> = grid.slices().flat_map(|z| grid.slice_voxels(z)).collect();
    for dir in &DIRECTIONS[N_2D_DIRECTIONS..] {
        let mut m = Cooc::new(n);
        count_pairs(grid, scaled(dir), all.iter().copied(), &mut m);
        volume.push(m);
    }

    vec![
        (
            Aggregation::Avg2d,
            mean_finite(FAMILY, FEATURES, Aggregation::Avg2d, &rows_avg),
        ),
        (
            Aggregation::SliceMerged2d,
            mean_finite(FAMILY, FEATURES, Aggregation::SliceMerged2d, &rows_slice),
        ),
        (
            Aggregation::DirectionMerged2_5d,
            averaged_features(grid, &per_direction, conv, Aggregation::DirectionMerged2_5d),
        ),
        (
            Aggregation::Merged2_5d,
            merged_features(grid, &per_direction, conv, Aggregation::Merged2_5d),
        ),
        (
            Aggregation::Avg3d,
            averaged_features(grid, &volume, conv, Aggregation::Avg3d),
        ),
        (
            Aggregation::Merged3d,
            merged_features(grid, &volume, conv, Aggregation::Merged3d),
        ),
    ]
}

/// Features per non-empty matrix, averaged.
fn averaged_features(grid: &Grid, mats: &[Cooc], conv: Convention, agg: Aggregation) -> Vec<f64> {
    let rows: Vec<Vec<f64>> = mats
        .iter()
        .filter_map(|m| matrix_features(m, grid, conv))
        .collect();
    warn_skipped(agg, mats.len() - rows.len(), mats.len());
    mean_finite(FAMILY, FEATURES, agg, &rows)
}

/// Features of the sum of `mats`.
fn merged_features(grid: &Grid, mats: &[Cooc], conv: Convention, agg: Aggregation) -> Vec<f64> {
    let mut sum = Cooc::new(grid.n_p());
    for m in mats {
        sum.merge(m);
    }
    matrix_features(&sum, grid, conv).unwrap_or_else(|| {
        warn_skipped(agg, 1, 1);
        vec![f64::NAN; FEATURES.len()]
    })
}

fn warn_skipped(agg: Aggregation, empty: usize, total: usize) {
    if empty > 0 {
        tracing::warn!(
            "{FAMILY} ({}): {empty} of {total} matrices have no neighbour pair and are left \
             out; features are NaN if none is left",
            agg.tag()
        );
    }
}

/// Shannon entropy in bits of probabilities (zeros skipped), `-sum p log2(p + eps)`:
/// `eps` is 0 for IBSI and PyRadiomics' machine epsilon in its mode.
fn entropy(p: impl Iterator<Item = f64>, eps: f64) -> f64 {
    p.filter(|&v| v > 0.0).map(|v| -v * (v + eps).log2()).sum()
}

/// All [`FEATURES`] of one co-occurrence matrix, in table order; `None` if it is empty.
///
/// # Formula (IBSI-1 section 3.6, one line per feature, `sum` over i, j unless stated)
/// ```text
/// joint_max   GYBY  max p_ij              joint_avg  60VM  mu = sum i p_ij
/// joint_var   UR99  sum (i-mu)^2 p_ij     joint_entr TU9B  -sum p_ij log2 p_ij
/// diff_avg    TF7R  sum_k k p_{i-j}(k)    diff_var   D3YU  sum_k (k-diff_avg)^2 p_{i-j}(k)
/// diff_entr   NTRS  -sum_k p_{i-j}(k) log2 p_{i-j}(k)
/// sum_avg     ZGXS  sum_k k p_{i+j}(k)    sum_var    OEEB  sum_k (k-sum_avg)^2 p_{i+j}(k)
/// sum_entr    P6QZ  -sum_k p_{i+j}(k) log2 p_{i+j}(k)
/// energy      8ZQL  sum p_ij^2            contrast   ACUI  sum (i-j)^2 p_ij
/// dissimilarity 8S9J sum |i-j| p_ij       inv_diff   IB1Z  sum p_ij / (1+|i-j|)
/// inv_diff_norm NDRX sum p_ij / (1+|i-j|/N_g)
/// inv_diff_mom WF0Z sum p_ij / (1+(i-j)^2)
/// inv_diff_mom_norm 1QCO sum p_ij / (1+(i-j)^2/N_g^2)
/// inv_var     E8JP  sum_{k>=1} p_{i-j}(k) / k^2
/// corr        NI2N  sum (i-mu_i)(j-mu_j) p_ij / (sigma_i sigma_j)
/// auto_corr   QWB0  sum i j p_ij
/// clust_tend  DG8W  sum (i+j-mu_i-mu_j)^2 p_ij   (shade 7NFM: ^3, prominence AE86: ^4)
/// info_corr_1 R8DG  (HXY - HXY1) / HX
/// info_corr_2 JN9H  sqrt(1 - exp(-2 (HXY2 - HXY)))
/// mcc         (PyRadiomics only) sqrt of the second largest eigenvalue of
///                   Q_ij = sum_k p_ik p_jk / (p_i. p_.k)
/// ```
fn matrix_features(m: &Cooc, grid: &Grid, conv: Convention) -> Option<Vec<f64>> {
    let total = m.total();
    if total <= 0.0 {
        return None;
    }
    let n = m.n;
    let g = &grid.values;
    let n_g = grid.n_g as f64;
    let max_level = g.last().copied().unwrap_or(0.0) as usize;
    let eps = match conv {
        Convention::Ibsi => 0.0,
        Convention::PyRadiomics => PYRADIOMICS_EPS,
    };

    // Normalised matrix, marginals and the diagonal/anti-diagonal distributions.
    let p: Vec<f64> = m.counts.iter().map(|c| c / total).collect();
    let mut p_i = vec![0.0; n];
    let mut p_minus = vec![0.0; max_level + 1];
    let mut p_plus = vec![0.0; 2 * max_level + 1];
    for a in 0..n {
        for b in 0..n {
            let v = p[a * n + b];
            p_i[a] += v;
            p_minus[(g[a] - g[b]).abs() as usize] += v;
            p_plus[(g[a] + g[b]) as usize] += v;
        }
    }
    let mu: f64 = (0..n).map(|a| g[a] * p_i[a]).sum();
    let var_i: f64 = (0..n).map(|a| (g[a] - mu).powi(2) * p_i[a]).sum();

    // Sums over the joint distribution.
    let (mut joint_max, mut joint_var, mut energy, mut contrast, mut dissimilarity) =
        (0.0f64, 0.0, 0.0, 0.0, 0.0);
    let (mut id, mut idn, mut idm, mut idmn, mut cov, mut auto_corr) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut tend, mut shade, mut prom, mut hxy1, mut hxy2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for a in 0..n {
        for b in 0..n {
            let v = p[a * n + b];
            let pp = p_i[a] * p_i[b];
            if pp > 0.0 {
                hxy2 -= pp * (pp + eps).log2();
            }
            if v == 0.0 {
                continue;
            }
            let (i, j) = (g[a], g[b]);
            let k = (i - j).abs();
            joint_max = joint_max.max(v);
            joint_var += (i - mu).powi(2) * v;
            energy += v * v;
            contrast += k * k * v;
            dissimilarity += k * v;
            id += v / (1.0 + k);
            idn += v / (1.0 + k / n_g);
            idm += v / (1.0 + k * k);
            idmn += v / (1.0 + k * k / (n_g * n_g));
            cov += (i - mu) * (j - mu) * v;
            auto_corr += i * j * v;
            let s = i + j - 2.0 * mu;
            tend += s * s * v;
            shade += s * s * s * v;
            prom += s * s * s * s * v;
            hxy1 -= v * (pp + eps).log2();
        }
    }
    let hxy = entropy(p.iter().copied(), eps);
    let hx = entropy(p_i.iter().copied(), eps);

    let diff_avg: f64 = p_minus.iter().enumerate().map(|(k, v)| k as f64 * v).sum();
    let diff_var: f64 = p_minus
        .iter()
        .enumerate()
        .map(|(k, v)| (k as f64 - diff_avg).powi(2) * v)
        .sum();
    let sum_avg: f64 = p_plus.iter().enumerate().map(|(k, v)| k as f64 * v).sum();
    let sum_var: f64 = p_plus
        .iter()
        .enumerate()
        .map(|(k, v)| (k as f64 - sum_avg).powi(2) * v)
        .sum();
    let inv_var: f64 = p_minus
        .iter()
        .enumerate()
        .skip(1)
        .map(|(k, v)| v / (k * k) as f64)
        .sum();

    // Degenerate: one grey level (zero variance, zero marginal entropy).
    let flat = var_i <= 0.0;
    let corr = if flat {
        match conv {
            Convention::Ibsi => undefined("corr", "zero grey-level variance (one grey level)"),
            Convention::PyRadiomics => 1.0,
        }
    } else {
        cov / var_i
    };
    let info_corr_1 = if hx <= 0.0 {
        match conv {
            Convention::Ibsi => undefined("info_corr_1", "zero marginal entropy HX"),
            Convention::PyRadiomics => 0.0,
        }
    } else {
        (hxy - hxy1) / hx
    };
    let info_corr_2 = (1.0 - (-2.0 * (hxy2 - hxy).max(0.0)).exp()).sqrt();
    let mcc = match conv {
        Convention::Ibsi => f64::NAN,
        Convention::PyRadiomics => mcc(&p, &p_i, n),
    };

    Some(vec![
        joint_max,
        mu,
        joint_var,
        hxy,
        diff_avg,
        diff_var,
        entropy(p_minus.iter().copied(), eps),
        sum_avg,
        sum_var,
        entropy(p_plus.iter().copied(), eps),
        energy,
        contrast,
        dissimilarity,
        id,
        idn,
        idm,
        idmn,
        inv_var,
        corr,
        auto_corr,
        tend,
        shade,
        prom,
        info_corr_1,
        info_corr_2,
        mcc,
    ])
}

fn undefined(feature: &str, reason: &str) -> f64 {
    tracing::warn!("{FAMILY}.{feature}: undefined ({reason}); NaN");
    f64::NAN
}

/// Maximal correlation coefficient (PyRadiomics `MCC`; not an IBSI feature).
///
/// For a symmetric matrix `Q = D^-1 P D^-1 P^T` with `D = diag(p_i.)` is similar to `B^2`
/// with `B = D^-1/2 P D^-1/2` symmetric, so the eigenvalues of `Q` are the squared
/// eigenvalues of `B`; the largest is 1, and MCC is the second largest `|lambda(B)|`.
/// PyRadiomics returns 1 for a single grey level.
fn mcc(p: &[f64], p_i: &[f64], n: usize) -> f64 {
    let live: Vec<usize> = (0..n).filter(|&a| p_i[a] > 0.0).collect();
    if live.len() < 2 {
        return 1.0;
    }
    let b = faer::Mat::<f64>::from_fn(live.len(), live.len(), |r, c| {
        let (a, bb) = (live[r], live[c]);
        p[a * n + bb] / (p_i[a] * p_i[bb]).sqrt()
    });
    match b.self_adjoint_eigenvalues(faer::Side::Lower) {
        Ok(ev) => {
            let mut sq: Vec<f64> = ev.iter().map(|l| l * l).collect();
            sq.sort_by(|x, y| y.total_cmp(x));
            sq[1].sqrt()
        }
        Err(_) => undefined("mcc", "eigenvalue decomposition did not converge"),
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array3;

    use super::*;

    fn slab(rows: &[[u32; 4]]) -> Discretised {
        let mut levels = Array3::<u32>::zeros((1, rows.len(), 4));
        for (y, r) in rows.iter().enumerate() {
            for (x, &v) in r.iter().enumerate() {
                levels[[0, y, x]] = v;
            }
        }
        Discretised { levels, n_g: 4 }
    }

    /// The 0-degree symmetric GLCM of the IBSI-1 example image (section 3.6), counted by
    /// hand: 12 horizontal pairs, each counted in both orders.
    #[test]
    fn ibsi_example_matrix_0_degrees() {
        let d = slab(&[[1, 2, 2, 3], [1, 2, 3, 3], [4, 2, 4, 1], [4, 1, 2, 3]]);
        let grid = Grid::new(&d, 1);
        let mut m = Cooc::new(grid.n_p());
        count_pairs(
            &grid,
            grid.offset(DIRECTIONS[0]),
            grid.slice_voxels(1),
            &mut m,
        );
        #[rustfmt::skip]
        let want = [
            0.0, 3.0, 0.0, 2.0,
            3.0, 2.0, 3.0, 2.0,
            0.0, 3.0, 2.0, 0.0,
            2.0, 2.0, 0.0, 0.0,
        ];
        assert_eq!(m.counts, want);
    }

    #[test]
    fn one_voxel_roi_gives_nan_without_panic() {
        let d = slab(&[[0, 0, 0, 0], [0, 3, 0, 0]]);
        let out = features(&d, &TextureSettings::default());
        assert_eq!(out.len(), 25 * 6);
        assert!(out.iter().all(|(_, v)| v.is_nan()));
    }

    #[test]
    fn single_grey_level_ibsi_and_pyradiomics() {
        let d = slab(&[[2, 2, 2, 2], [2, 2, 2, 2]]);
        let ibsi = features(&d, &TextureSettings::default());
        let get = |o: &[(String, f64)], k: &str| o.iter().find(|(n, _)| n == k).unwrap().1;
        assert!(get(&ibsi, "glcm.corr.2d_avg").is_nan());
        assert!(get(&ibsi, "glcm.info_corr_1.2_5d_mrg").is_nan());
        assert_eq!(get(&ibsi, "glcm.joint_max.2d_avg"), 1.0);
        assert_eq!(get(&ibsi, "glcm.info_corr_2.2d_avg"), 0.0);

        let py = TextureSettings {
            mode: TextureMode::PyRadiomics(Default::default()),
            ..Default::default()
        };
        let out = features(&d, &py);
        assert_eq!(out.len(), 24);
        assert_eq!(get(&out, "glcm.corr.3d_avg"), 1.0);
        assert_eq!(get(&out, "glcm.info_corr_1.3d_avg"), 0.0);
        assert_eq!(get(&out, "glcm.mcc.3d_avg"), 1.0);
    }

    #[test]
    fn mcc_of_block_diagonal_matrix_is_one() {
        // Two levels that only co-occur with themselves: perfectly dependent, MCC = 1.
        let p = [0.5, 0.0, 0.0, 0.5];
        assert!((mcc(&p, &[0.5, 0.5], 2) - 1.0).abs() < 1e-12);
        // Independent levels: p_ij = p_i p_j, MCC = 0.
        let p = [0.25, 0.25, 0.25, 0.25];
        assert!(mcc(&p, &[0.5, 0.5], 2).abs() < 1e-12);
    }
}
