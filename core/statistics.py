"""Confidence limits, significance, ranks and spine-chart summaries, as public-health analysts do them.

Methods follow the Fingertips public health technical guidance (OHID, formerly PHE):
- proportions: Wilson score limits;
- counts and crude rates: Byar's method for counts of 10 or more, the exact Poisson (chi-squared)
  limits below 10;
- significance: an area differs from its comparator when the comparator's value lies outside the
  area's 95% confidence interval; the direction is judged by the indicator's polarity.
Everything works on numpy arrays so a whole pack is computed in one pass.
"""

from __future__ import annotations

import math

import numpy as np

from . import schema as s

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution
EXACT_BELOW = 10  # counts under this use exact Poisson limits (Fingertips guidance)

BETTER, SIMILAR, WORSE = "better", "similar", "worse"
HIGHER, LOWER = "higher", "lower"
NOT_TESTED = "not tested"
SIGNIFICANCE_OUTCOMES = (BETTER, SIMILAR, WORSE, HIGHER, LOWER, NOT_TESTED)


def wilson_limits(numerator, denominator, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score limits of numerator/denominator, as proportions (0-1).

    NaN where the denominator is missing or not positive, or the numerator is outside 0..denominator.
    """
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    valid = (den > 0) & (num >= 0) & (num <= den)
    den_safe = np.where(valid, den, 1.0)
    p = np.where(valid, num, 0.0) / den_safe
    z2 = z * z
    centre = (2 * den_safe * p + z2) / (2 * (den_safe + z2))
    half = z * np.sqrt(z2 + 4 * den_safe * p * (1 - p)) / (2 * (den_safe + z2))
    # exact ends where the proportion is 0 or 1 (rounding would leave 1e-16 either side)
    lower = np.where(valid, np.where(num == 0, 0.0, np.clip(centre - half, 0.0, 1.0)), np.nan)
    upper = np.where(valid, np.where(num == den, 1.0, np.clip(centre + half, 0.0, 1.0)), np.nan)
    return lower, upper


def byar_limits(count, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Byar's approximation to the Poisson limits of an observed count."""
    o = np.asarray(count, dtype=float)
    valid = o >= 0
    o_safe = np.where(valid, o, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = o_safe * (1 - 1 / (9 * o_safe) - z / (3 * np.sqrt(o_safe))) ** 3
    lower = np.where(o_safe > 0, lower, 0.0)
    upper = (o_safe + 1) * (1 - 1 / (9 * (o_safe + 1)) + z / (3 * np.sqrt(o_safe + 1))) ** 3
    return np.where(valid, lower, np.nan), np.where(valid, upper, np.nan)


def _lower_gamma_ratio(a: float, x: float) -> tuple[float, float]:
    """Regularised incomplete gamma functions (P, Q) = (P(a, x), 1 - P(a, x)), each computed
    where it is accurate: the series below x = a + 1, Lentz's continued fraction above. Every
    term is formed in log space, so large counts neither underflow nor overflow."""
    if x <= 0:
        return 0.0, 1.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        while abs(term) > abs(total) * 1e-17:
            n += 1
            term *= x / n
            total += term
        p = math.exp(log_front + math.log(total))
        return p, 1.0 - p
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    fraction = d
    for i in range(1, 100_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        fraction *= delta
        if abs(delta - 1) < 1e-16:
            break
    q = math.exp(log_front + math.log(fraction))
    return 1.0 - q, q


def _gamma_quantile(a: float, probability: float) -> float:
    """x with P(a, x) = probability: Newton's method from the Wilson-Hilferty approximation,
    kept inside a shrinking bracket (equal to the chi-squared quantile on 2a degrees / 2)."""
    z = _normal_quantile(probability)
    nu = 2 * a
    x = max(nu * (1 - 2 / (9 * nu) + z * math.sqrt(2 / (9 * nu))) ** 3 / 2, 1e-300)
    low, high = 0.0, math.inf
    for _ in range(200):
        p, q = _lower_gamma_ratio(a, x)
        error = p - probability if probability < 0.5 else (1 - probability) - q
        if error > 0:
            high = x
        else:
            low = x
        density = math.exp((a - 1) * math.log(x) - x - math.lgamma(a))
        step = error / density if density > 0 else math.inf
        candidate = x - step
        if not low < candidate < high:  # Newton left the bracket: bisect instead
            candidate = (low + high) / 2 if math.isfinite(high) else 2 * x
        if abs(candidate - x) <= 1e-15 * x:
            return candidate
        x = candidate
    return x


def _normal_quantile(probability: float) -> float:
    """The standard normal quantile (Acklam's rational approximation, about 1e-9 accurate),
    only a starting point for Newton's method."""
    a = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269,
         -30.66479806614716, 2.506628277459239)
    b = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
         -13.28068155288572)
    c = (-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
         4.374664141464968, 2.938163982698783)
    d = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)
    if probability < 0.02425 or probability > 1 - 0.02425:
        tail = math.sqrt(-2 * math.log(min(probability, 1 - probability)))
        value = (((((c[0] * tail + c[1]) * tail + c[2]) * tail + c[3]) * tail + c[4]) * tail
                 + c[5]) / ((((d[0] * tail + d[1]) * tail + d[2]) * tail + d[3]) * tail + 1)
        return value if probability < 0.5 else -value
    r = probability - 0.5
    t = r * r
    return (((((a[0] * t + a[1]) * t + a[2]) * t + a[3]) * t + a[4]) * t + a[5]) * r / \
        (((((b[0] * t + b[1]) * t + b[2]) * t + b[3]) * t + b[4]) * t + 1)


def exact_poisson_limits(count: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) limits of a whole-number count: the chi-squared quantiles
    chi2(alpha/2; 2k)/2 and chi2(1 - alpha/2; 2k + 2)/2, for any count."""
    alpha = 1 - confidence
    lower = 0.0 if count == 0 else _gamma_quantile(count, alpha / 2)
    return lower, _gamma_quantile(count + 1, 1 - alpha / 2)


def count_limits(count) -> tuple[np.ndarray, np.ndarray]:
    """95% limits of counts: exact below 10, Byar's from 10 (NaN for missing or negative)."""
    o = np.asarray(count, dtype=float)
    lower, upper = byar_limits(o)
    small = np.flatnonzero((o >= 0) & (o < EXACT_BELOW))
    for i in small:
        lower.flat[i], upper.flat[i] = exact_poisson_limits(int(round(o.flat[i])))
    return lower, upper


def significance(value, lower, upper, comparator, polarity: str) -> np.ndarray:
    """Each area against its comparator value: better/similar/worse (or higher/similar/lower).

    'not tested' where the area has no limits or there is no comparator value.
    """
    lo = np.asarray(lower, dtype=float)
    up = np.asarray(upper, dtype=float)
    comp = np.broadcast_to(np.asarray(comparator, dtype=float), lo.shape)
    val = np.broadcast_to(np.asarray(value, dtype=float), lo.shape)
    testable = ~(np.isnan(lo) | np.isnan(up) | np.isnan(comp) | np.isnan(val))
    above = testable & (lo > comp)
    below = testable & (up < comp)
    if polarity == s.POLARITY_HIGH_GOOD:
        high_word, low_word = BETTER, WORSE
    elif polarity == s.POLARITY_LOW_GOOD:
        high_word, low_word = WORSE, BETTER
    else:
        high_word, low_word = HIGHER, LOWER
    out = np.full(lo.shape, NOT_TESTED, dtype=object)
    out[testable] = SIMILAR
    out[above] = high_word
    out[below] = low_word
    return out


def worst_first_scores(values, polarity: str) -> np.ndarray:
    """Values turned so that larger means worse (for 'no judgement', larger means higher)."""
    v = np.asarray(values, dtype=float)
    return -v if polarity == s.POLARITY_HIGH_GOOD else v


def ranks(values, polarity: str) -> np.ndarray:
    """Rank 1 = worst by polarity (highest when there is no polarity); ties share the best rank.

    Areas without a value get NaN and do not count.
    """
    scores = worst_first_scores(values, polarity)
    out = np.full(scores.shape, np.nan)
    present = ~np.isnan(scores)
    ascending = np.sort(scores[present])
    strictly_worse = len(ascending) - np.searchsorted(ascending, scores[present], side="right")
    out[present] = 1 + strictly_worse
    return out


def spine_summary(values, polarity: str) -> dict | None:
    """Worst, 25th and 75th percentiles and best of a set of area values (linear interpolation,
    the same as Excel's PERCENTILE.INC). None when no area has a value."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return None
    q25, median, q75 = np.percentile(v, [25, 50, 75])
    low, high = float(v.min()), float(v.max())
    # 'worst' is drawn at the left; with no polarity that is the lowest value, as in Fingertips
    worst, best = (high, low) if polarity == s.POLARITY_LOW_GOOD else (low, high)
    return {"worst": worst, "q25": float(q25), "q75": float(q75), "best": best,
            "median": float(median), "count": int(v.size)}


def spine_position(value: float, centre: float, summary: dict) -> float:
    """Where ``value`` sits on a spine scaled Fingertips-style: centre at 0.5, the worst end at 0
    and the best end at 1, scaled by the larger distance from the centre to either end."""
    span = max(abs(summary["worst"] - centre), abs(summary["best"] - centre))
    if not span or math.isnan(span):
        return 0.5
    direction = 1.0 if summary["best"] >= summary["worst"] else -1.0
    return 0.5 + direction * (value - centre) / (2 * span)
