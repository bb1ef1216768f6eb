"""Confidence limits, significance, ranks and spine summaries, checked against independent values."""

import math

import numpy as np
import pytest
from scipy.stats import chi2
from statsmodels.stats.proportion import proportion_confint

from jsna_profiles.core import schema as s
from jsna_profiles.core import statistics as st

GRID = [(x, n) for n in (1, 2, 5, 10, 37, 100, 1_000, 13_349, 250_000)
        for x in sorted({0, 1, n // 7, n // 3, n // 2, n - 1, n})]


def test_wilson_matches_statsmodels_on_a_grid():
    x = np.array([g[0] for g in GRID], dtype=float)
    n = np.array([g[1] for g in GRID], dtype=float)
    lower, upper = st.wilson_limits(x, n)
    for i, (count, total) in enumerate(GRID):
        want_lower, want_upper = proportion_confint(count, total, alpha=0.05, method="wilson")
        assert lower[i] == pytest.approx(want_lower, abs=1e-12), (count, total)
        assert upper[i] == pytest.approx(want_upper, abs=1e-12), (count, total)


@pytest.mark.parametrize("numerator, denominator", [(5, 0), (5, float("nan")), (float("nan"), 10),
                                                    (11, 10), (-1, 10)])
def test_wilson_gives_no_limits_for_impossible_inputs(numerator, denominator):
    lower, upper = st.wilson_limits([numerator], [denominator])
    assert math.isnan(lower[0]) and math.isnan(upper[0])


def test_byar_worked_example_count_65():
    """O = 65, the example count in PHEindicatormethods' byars_lower/byars_upper documentation,
    worked by hand from Byar's formulae in the Fingertips technical guidance ('Rates'):
    lower = 65 (1 - 1/585 - 1.959964 / (3 sqrt 65))^3 = 50.1632
    upper = 66 (1 - 1/594 + 1.959964 / (3 sqrt 66))^3 = 82.8491"""
    lower, upper = st.byar_limits([65])
    assert lower[0] == pytest.approx(50.1632, abs=5e-5)
    assert upper[0] == pytest.approx(82.8491, abs=5e-5)


def test_byar_within_published_accuracy_of_exact_limits():
    """PHE Technical Guide, Confidence Intervals (2018), Appendix 1: for 95% limits Byar's method
    is within 0.2% of the exact value for numerators of 10 or more."""
    counts = np.arange(10, 2001)
    lower, upper = st.byar_limits(counts)
    exact_lower = chi2.ppf(0.025, 2 * counts) / 2
    exact_upper = chi2.ppf(0.975, 2 * counts + 2) / 2
    assert np.max(np.abs(lower / exact_lower - 1)) < 0.002
    assert np.max(np.abs(upper / exact_upper - 1)) < 0.002


def test_small_counts_use_exact_poisson_limits():
    counts = np.arange(0, 10)
    lower, upper = st.count_limits(counts)
    exact_lower = np.where(counts > 0, chi2.ppf(0.025, np.maximum(2 * counts, 1)) / 2, 0.0)
    exact_upper = chi2.ppf(0.975, 2 * counts + 2) / 2
    np.testing.assert_allclose(lower, exact_lower, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(upper, exact_upper, rtol=1e-9)
    big_lower, _ = st.count_limits([10])
    assert big_lower[0] == pytest.approx(st.byar_limits([10])[0][0])


# Significance: an area (value, limits) against comparator 50, for each polarity.
CASES = [
    # lower, upper, comparator, polarity, outcome
    (55, 60, 50, s.POLARITY_HIGH_GOOD, st.BETTER),
    (40, 45, 50, s.POLARITY_HIGH_GOOD, st.WORSE),
    (45, 55, 50, s.POLARITY_HIGH_GOOD, st.SIMILAR),
    (55, 60, 50, s.POLARITY_LOW_GOOD, st.WORSE),
    (40, 45, 50, s.POLARITY_LOW_GOOD, st.BETTER),
    (45, 55, 50, s.POLARITY_LOW_GOOD, st.SIMILAR),
    (55, 60, 50, s.POLARITY_NONE, st.HIGHER),
    (40, 45, 50, s.POLARITY_NONE, st.LOWER),
    (45, 55, 50, s.POLARITY_NONE, st.SIMILAR),
    (50, 55, 50, s.POLARITY_HIGH_GOOD, st.SIMILAR),  # comparator on the limit: not outside
    (float("nan"), float("nan"), 50, s.POLARITY_HIGH_GOOD, st.NOT_TESTED),
    (55, 60, float("nan"), s.POLARITY_LOW_GOOD, st.NOT_TESTED),
]


@pytest.mark.parametrize("lower, upper, comparator, polarity, outcome", CASES)
def test_significance_outcomes(lower, upper, comparator, polarity, outcome):
    value = (lower + upper) / 2
    assert st.significance([value], [lower], [upper], comparator, polarity)[0] == outcome


def test_significance_flips_with_polarity():
    lower, upper = np.array([55.0, 40.0, 45.0]), np.array([60.0, 45.0, 55.0])
    high = st.significance((lower + upper) / 2, lower, upper, 50, s.POLARITY_HIGH_GOOD)
    low = st.significance((lower + upper) / 2, lower, upper, 50, s.POLARITY_LOW_GOOD)
    assert list(high) == [st.BETTER, st.WORSE, st.SIMILAR]
    assert list(low) == [st.WORSE, st.BETTER, st.SIMILAR]


def test_ranks_put_the_worst_first():
    values = [10.0, 30.0, float("nan"), 20.0, 30.0]
    assert list(st.ranks(values, s.POLARITY_LOW_GOOD)[[0, 1, 3, 4]]) == [4, 1, 3, 1]
    assert list(st.ranks(values, s.POLARITY_HIGH_GOOD)[[0, 1, 3, 4]]) == [1, 3, 2, 3]
    assert math.isnan(st.ranks(values, s.POLARITY_NONE)[2])
    assert list(st.ranks(values, s.POLARITY_NONE)[[0, 1, 3, 4]]) == [4, 1, 3, 1]


def test_spine_summary_quartiles_and_ends():
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, float("nan")]
    low_good = st.spine_summary(values, s.POLARITY_LOW_GOOD)
    assert (low_good["worst"], low_good["best"]) == (9, 1)
    assert (low_good["q25"], low_good["q75"], low_good["count"]) == (3, 7, 9)
    high_good = st.spine_summary(values, s.POLARITY_HIGH_GOOD)
    assert (high_good["worst"], high_good["best"]) == (1, 9)
    assert st.spine_summary([float("nan")], s.POLARITY_NONE) is None


def test_spine_position_centres_the_comparator_and_puts_best_right():
    summary = st.spine_summary([10, 20, 30, 40], s.POLARITY_LOW_GOOD)  # worst 40, best 10
    assert st.spine_position(25, 25, summary) == 0.5
    assert st.spine_position(40, 25, summary) == pytest.approx(0.0)
    assert st.spine_position(10, 25, summary) == pytest.approx(1.0)
    summary = st.spine_summary([10, 20, 30, 40], s.POLARITY_HIGH_GOOD)
    assert st.spine_position(40, 25, summary) == pytest.approx(1.0)


def test_exact_poisson_limits_equal_chi_squared_quantiles_for_any_count():
    """Issue 11: for 716 events the upper limit was 745.13 because exp(-mean) underflowed past
    about 708; the limits must equal the chi-squared quantiles for counts 0 to 10^6."""
    counts = sorted(set(range(0, 60)) | {99, 100, 707, 708, 709, 716, 745, 1000, 12_345}
                    | set(np.unique(np.logspace(3, 6, 40).astype(int))))
    for count in counts:
        lower, upper = st.exact_poisson_limits(count)
        expected_lower = chi2.ppf(0.025, 2 * count) / 2 if count else 0.0
        assert lower == pytest.approx(expected_lower, rel=1e-9, abs=1e-300), count
        assert upper == pytest.approx(chi2.ppf(0.975, 2 * count + 2) / 2, rel=1e-9), count
    assert st.exact_poisson_limits(716)[1] == pytest.approx(770.42, abs=0.005)
    assert st.exact_poisson_limits(5, confidence=0.998)[1] == pytest.approx(
        chi2.ppf(0.999, 12) / 2, rel=1e-9)
