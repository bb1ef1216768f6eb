"""Properties of the core that must hold for any input (hypothesis): aggregation conserves counts
at every level; confidence limits bracket the estimate and narrow as the denominator grows;
significance mirrors when the polarity is swapped."""

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from jsna_profiles.core import aggregate
from jsna_profiles.core import schema as s
from jsna_profiles.core import statistics as stats

counts = st.integers(min_value=0, max_value=50_000)


@st.composite
def small_areas(draw):
    """Small areas with counts, in neighbourhoods, in hubs (random but consistent nesting)."""
    n = draw(st.integers(min_value=1, max_value=40))
    denominators = draw(st.lists(st.integers(min_value=1, max_value=5_000), min_size=n,
                                 max_size=n))
    numerators = [draw(st.integers(min_value=0, max_value=d)) for d in denominators]
    neighbourhood = draw(st.lists(st.integers(min_value=0, max_value=6), min_size=n, max_size=n))
    hub_of = {nb: draw(st.sampled_from(["A", "B", "C"])) for nb in set(neighbourhood)}
    codes = [f"E01{i:06d}" for i in range(n)]
    frame = pd.DataFrame({"area_code": codes, "numerator": numerators,
                          "denominator": denominators}).astype({"numerator": float,
                                                                "denominator": float})
    to_nb = pd.Series([f"E02{x:06d}" for x in neighbourhood], index=codes)
    nb_to_hub = pd.Series({f"E02{nb:06d}": hub for nb, hub in hub_of.items()})
    return frame, to_nb, nb_to_hub


@settings(max_examples=150, deadline=None)
@given(small_areas())
def test_aggregation_conserves_counts_at_every_level(areas):
    frame, to_nb, nb_to_hub = areas
    neighbourhoods = aggregate.ratio_of_sums(frame, to_nb)
    hubs_via_nb = aggregate.ratio_of_sums(neighbourhoods, nb_to_hub)
    hubs_direct = aggregate.ratio_of_sums(frame, to_nb.map(nb_to_hub))
    city = aggregate.ratio_of_sums(frame, pd.Series("E08", index=frame["area_code"]))
    for level in (neighbourhoods, hubs_via_nb, hubs_direct, city):
        assert level["numerator"].sum() == frame["numerator"].sum()
        assert level["denominator"].sum() == frame["denominator"].sum()
    merged = hubs_via_nb.set_index("area_code").join(hubs_direct.set_index("area_code"),
                                                     rsuffix="_direct")
    np.testing.assert_allclose(merged["value"], merged["value_direct"])
    total = frame["numerator"].sum() / frame["denominator"].sum() * 100
    assert math.isclose(city["value"].iloc[0], total, rel_tol=1e-12)
    sums = aggregate.count_sum(frame.assign(value=frame["numerator"]), to_nb)
    assert sums["value"].sum() == frame["numerator"].sum()


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=10_000_000), st.floats(min_value=0, max_value=1))
def test_wilson_limits_bracket_and_narrow(denominator, share):
    numerator = round(denominator * share)
    lower, upper = stats.wilson_limits([numerator, 4 * numerator], [denominator, 4 * denominator])
    p = numerator / denominator
    assert 0 <= lower[0] <= p <= upper[0] <= 1
    assert upper[1] - lower[1] < upper[0] - lower[0]  # same proportion, four times the people


@settings(max_examples=300, deadline=None)
@given(counts)
def test_count_limits_bracket_and_narrow_relatively(count):
    lower, upper = stats.count_limits([count, 4 * count + 4])
    assert 0 <= lower[0] <= count <= upper[0]
    if count > 0:
        relative = (upper - lower) / np.array([count, 4 * count + 4])
        assert relative[1] < relative[0]


OPPOSITE = {stats.BETTER: stats.WORSE, stats.WORSE: stats.BETTER, stats.SIMILAR: stats.SIMILAR,
            stats.NOT_TESTED: stats.NOT_TESTED}
DIRECTION = {stats.BETTER: "up", stats.WORSE: "down"}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(0, 1e5)), min_size=1, max_size=30),
       st.floats(-1e6, 1e6))
def test_significance_mirrors_with_polarity(areas, comparator):
    value = np.array([v for v, _ in areas])
    half = np.array([h for _, h in areas])
    lower, upper = value - half, value + half
    high = stats.significance(value, lower, upper, comparator, s.POLARITY_HIGH_GOOD)
    low = stats.significance(value, lower, upper, comparator, s.POLARITY_LOW_GOOD)
    none = stats.significance(value, lower, upper, comparator, s.POLARITY_NONE)
    assert [OPPOSITE[x] for x in high] == list(low)
    as_direction = {stats.BETTER: stats.HIGHER, stats.WORSE: stats.LOWER}
    assert [as_direction.get(x, x) for x in high] == list(none)
