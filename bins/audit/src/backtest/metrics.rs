//! The evaluation grid and the metric primitives of `prediction-eval-v1`
//! (spec/prediction_eval.md sections 5 and 6): bins, prediction vectors, tie-aware top-K
//! selection, the Wilson lower bound and the two baselines' fixed vectors.

/// Bins of the evaluation band (±100 bins of 0.1 % around the reference price).
pub const BINS: usize = 200;
/// Offset of bin 0 in a vector (`position = bin + 100`).
pub const HALF: i64 = 100;
/// The selection sizes `K` of capture@5/10/20 % (`200 * k / 100`).
pub const KS: [f64; 3] = [10.0, 20.0, 40.0];
/// Index of `K = 20` (capture@10 %, precision@10 %) in [`KS`].
pub const K10: usize = 1;
/// `z` of the Wilson 95 % bound.
pub const WILSON_Z: f64 = 1.959963984540054;

/// One side's values over the 200 bins.
pub type Vector = [f64; BINS];

/// The evaluation grid of one scored minute: bin width `w = 0.001 * p` (spec 5).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Band {
    /// Reference price `p`.
    pub p: f64,
    /// Bin width `w`.
    pub w: f64,
}

impl Band {
    /// The grid around `p`.
    pub fn new(p: f64) -> Self {
        Band { p, w: 0.001 * p }
    }

    /// `floor((x - p) / w)`, in the spec's operation order (saturating far outside the band).
    pub fn bin(&self, x: f64) -> i64 {
        ((x - self.p) / self.w).floor() as i64
    }

    /// The vector position of `x`, `None` outside the band.
    pub fn pos(&self, x: f64) -> Option<usize> {
        let b = self.bin(x);
        (-HALF..HALF).contains(&b).then(|| (b + HALF) as usize)
    }

    /// The price of a baseline zone in bin `b`: `p + (b + 0.5) * w`.
    pub fn zone_price(&self, b: i64) -> f64 {
        self.p + (b as f64 + 0.5) * self.w
    }
}

/// The prediction vector of one side (spec 5): pairs `[bucket_price, value]` added in ascending
/// price order (equal prices keep their order); out-of-band buckets are ignored.
pub fn vector(band: &Band, pairs: &[(f64, f64)]) -> Vector {
    let mut sorted: Vec<(f64, f64)> = pairs.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut v = [0.0; BINS];
    for (price, x) in sorted {
        if let Some(i) = band.pos(price) {
            // `+ 0.0` keeps a stray -0.0 in the zero tie group.
            v[i] += x + 0.0;
        }
    }
    v
}

/// The bin order of `v`, descending (stable: equal values keep position order; the order
/// inside a tie group does not matter for the weights).
pub fn order(v: &Vector) -> [usize; BINS] {
    let mut idx = [0usize; BINS];
    for (i, slot) in idx.iter_mut().enumerate() {
        *slot = i;
    }
    idx.sort_by(|a, b| v[*b].total_cmp(&v[*a]));
    idx
}

/// Tie-aware top-`k` weights (spec 6.1) from a vector and its [`order`]: groups of bit-equal
/// values take 1 each while they fit, the first group that does not fit shares the rest.
pub fn select(v: &Vector, ord: &[usize; BINS], k: f64) -> Vector {
    let mut s = [0.0; BINS];
    let mut r = k;
    let mut i = 0;
    while i < BINS && r > 0.0 {
        let bits = v[ord[i]].to_bits();
        let mut j = i + 1;
        while j < BINS && v[ord[j]].to_bits() == bits {
            j += 1;
        }
        let g = (j - i) as f64;
        let weight = if g <= r { 1.0 } else { r / g };
        for &b in &ord[i..j] {
            s[b] = weight;
        }
        r = if g <= r { r - g } else { 0.0 };
        i = j;
    }
    s
}

/// The selections for every `K` of [`KS`].
pub fn selections(v: &Vector) -> [Vector; 3] {
    let ord = order(v);
    KS.map(|k| select(v, &ord, k))
}

/// Wilson 95 % lower bound of `hits / n` (spec 6.3); `None` when `n = 0`.
pub fn wilson_lb(hits: f64, n: f64) -> Option<f64> {
    if n <= 0.0 {
        return None;
    }
    let z = WILSON_Z;
    let ph = hits / n;
    let z2 = z * z;
    Some(
        (ph + z2 / (2.0 * n) - z * (ph * (1.0 - ph) / n + z2 / (4.0 * n * n)).sqrt())
            / (1.0 + z2 / n),
    )
}

/// The distance-only vectors (spec 7): `[long, short]`.
pub fn distance_only() -> [Vector; 2] {
    let mut long = [0.0; BINS];
    let mut short = [0.0; BINS];
    for b in -HALF..HALF {
        let i = (b + HALF) as usize;
        long[i] = if b < 0 { 201 + b } else { 100 - b } as f64;
        short[i] = if b >= 0 { 200 - b } else { 101 + b } as f64;
    }
    [long, short]
}

/// The distance-only zone bins (spec 6.4): long `-1..-5`, short `0..4`.
pub const DISTANCE_ZONE_BINS: [[i64; 5]; 2] = [[-1, -2, -3, -4, -5], [0, 1, 2, 3, 4]];

/// The uniform vector (every bin 1).
pub fn uniform() -> Vector {
    [1.0; BINS]
}
