"""Agreement between raters (people and LLM judges), with bootstrap intervals.

Every chance-corrected coefficient here has the form (Po − Pe) / (1 − Pe): observed agreement Po
against the agreement Pe expected by chance. They differ in how Pe is modelled, and that is why
more than one is reported.

- Cohen's kappa (Cohen 1960), two fixed raters, nominal labels: Po = Σ_k p_kk, Pe = Σ_k pA_k·pB_k
  from the two raters' own marginals.
- Weighted kappa (Cohen 1968) for ordered categories: κ_w = 1 − Σ w_ij·O_ij / Σ w_ij·E_ij with
  disagreement weights w_ij = |i − j| / (K − 1) ("linear") or (i − j)² / (K − 1)² ("quadratic")
  on category positions, O the observed and E = outer(rows, cols) the chance table. The scale of
  w cancels, so these match the unnormalised weights scikit-learn uses. Unweighted kappa is the
  case w = 1 − I.
- Fleiss' kappa (Fleiss 1971), m ≥ 2 ratings on every item, raters exchangeable: with n_ij the
  number of ratings of item i in category j, P_i = (Σ_j n_ij² − m) / (m(m − 1)), Po = mean P_i,
  p_j = Σ_i n_ij / (N·m), Pe = Σ_j p_j².
- Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's alpha-reliability"): any
  number of raters, missing ratings allowed. Items with m_u ≥ 2 ratings add
  (n_uc·n_uk − [c = k]·n_uc) / (m_u − 1) to the coincidence matrix o; n_c = Σ_k o_ck, n = Σ n_c;
  α = 1 − (n − 1)·Σ o_ck·δ²_ck / Σ n_c·n_k·δ²_ck. Metrics δ²: nominal [c ≠ k]; interval
  (v_c − v_k)²; ordinal (Σ_{g=c..k} n_g − (n_c + n_k)/2)², which uses the ranks of the categories
  as the data fill them, not their numeric values.
- Gwet's AC1 (Gwet 2008): Pe = Σ_k π_k(1 − π_k) / (q − 1), with π_k the mean share of category k
  and q the number of categories on the scale. Kappa collapses when one category dominates even
  if raw agreement is high (the "kappa paradox"); AC1 does not, so it is reported beside kappa.
  For many raters (Gwet 2008, 2014): Po = mean over items with r_i ≥ 2 ratings of
  Σ_k r_ik(r_ik − 1) / (r_i(r_i − 1)); π_k = mean over items with r_i ≥ 1 of r_ik / r_i. With two
  raters and no missing ratings this is the two-rater AC1.
- Judge-corrected pass rate (Rogan & Gladen 1978): a judge with true-positive rate TPR and
  true-negative rate TNR reports p_obs = θ·TPR + (1 − θ)(1 − TNR) passes when the true rate is θ,
  so θ = (p_obs + TNR − 1) / (TPR + TNR − 1).
- Items needed for a kappa of given precision: n ≈ z²·Po(1 − Po) / (h²·(1 − Pe)²) for half-width
  h, the leading term of the large-sample variance of kappa.
- McNemar (1947) on the items one judge gets right and the other wrong: see
  ``evalwheel.stats.paired.mcnemar``.

Intervals are percentile bootstrap intervals over items (Efron 1979; Efron & Tibshirani 1993),
10,000 resamples by default and seeded, so the same data and seed give the same interval.

Why the bootstrap is fast. Resampling n items with replacement and counting how often each
distinct item profile (the per-item row of ratings, or the per-item category counts) was drawn
gives counts distributed exactly Multinomial(n, observed profile shares). Every statistic here
depends on the items only through sums of per-profile features (the cells of the two raters'
table for kappa and AC1, the per-item coincidence matrices for alpha, the per-item category counts
for Fleiss and multi-rater AC1). So each resample is drawn as multinomial counts over the G
distinct profiles, the sums come from one matrix product with the G × D feature matrix, and the
statistic is computed for all resamples at once from those sums. The distribution is identical to
resampling items, and the cost is O(resamples × (G + D)) instead of O(resamples × n): for kappa on
binary labels G = 4 whatever n is. Resamples are processed in chunks to bound memory.

Missing ratings are None (or a float NaN). Two-rater statistics use the items both raters rated;
a resample on which a statistic is undefined (e.g. every item in one category, so Pe = 1) is left
out of the percentiles, which makes the interval conditional on the statistic being defined.
Undefined estimates are returned as None, never NaN, so they survive JSON.

The code lives in focused modules (``encoding``, ``bootstrap``, ``kappa``, ``many_raters``, ``alpha``,
``paired_judges``, ``corrected``, ``planning``); this module is the public import path.
"""

from __future__ import annotations

from evalwheel.stats.alpha import krippendorff_alpha, krippendorff_alpha_ci
from evalwheel.stats.bootstrap import METHOD, Interval
from evalwheel.stats.corrected import corrected_pass_rate
from evalwheel.stats.encoding import (
    Labels,
    Level,
    Matrix,
    Weights,
    category_values,
    encode,
    infer_categories,
)
from evalwheel.stats.kappa import (
    cohen_kappa,
    cohen_kappa_ci,
    confusion_matrix,
    gwet_ac1,
    gwet_ac1_ci,
    prevalence,
    raw_agreement,
    raw_agreement_ci,
    tpr_tnr,
)
from evalwheel.stats.many_raters import (
    fleiss_kappa,
    fleiss_kappa_ci,
    gwet_ac1_multi,
    gwet_ac1_multi_ci,
)
from evalwheel.stats.paired_judges import PairedKappa, judge_mcnemar, paired_kappa_difference
from evalwheel.stats.planning import sample_size_for_kappa

__all__ = [
    "METHOD",
    "Interval",
    "Labels",
    "Level",
    "Matrix",
    "PairedKappa",
    "Weights",
    "category_values",
    "cohen_kappa",
    "cohen_kappa_ci",
    "confusion_matrix",
    "corrected_pass_rate",
    "encode",
    "fleiss_kappa",
    "fleiss_kappa_ci",
    "gwet_ac1",
    "gwet_ac1_ci",
    "gwet_ac1_multi",
    "gwet_ac1_multi_ci",
    "infer_categories",
    "judge_mcnemar",
    "krippendorff_alpha",
    "krippendorff_alpha_ci",
    "paired_kappa_difference",
    "prevalence",
    "raw_agreement",
    "raw_agreement_ci",
    "sample_size_for_kappa",
    "tpr_tnr",
]
