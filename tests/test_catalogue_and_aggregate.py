"""Pure-Python core: the catalogue's integrity and the aggregation rules (synthetic data)."""

import math

import pandas as pd
import pytest

from jsna_profiles.core import aggregate, catalogue, schema


@pytest.mark.parametrize("edition", ["2019", "2025"])
def test_catalogue_is_complete_and_consistent(edition):
    ids = [i.indicator_id for i in catalogue.CATALOGUES[edition]]
    assert len(ids) == len(set(ids))
    for item in catalogue.CATALOGUES[edition]:
        assert item.domain in schema.DOMAINS, item.indicator_id
        assert item.polarity in schema.POLARITIES, item.indicator_id
        assert item.aggregation in schema.AGGREGATIONS, item.indicator_id
        assert set(item.levels) <= set(schema.LEVELS), item.indicator_id
        row = item.as_row()
        assert row["licence"] and row["attribution"] and row["period"], item.indicator_id
    # IMD and the seven domains, rank and decile each, at small-area level only; 2025 adds
    # IDACI, IDAOPI, the six sub-domains and IMD 2019 on 2021 areas
    deciles = [i for i in catalogue.CATALOGUES[edition] if i.value_type == "decile"]
    assert len(deciles) == {"2019": 8, "2025": 17}[edition]
    assert all(i.levels == (schema.LEVEL_SMALL_AREA,) for i in deciles)
    assert {i.period for i in deciles} == ({"2019"} if edition == "2019" else {"2019", "2025"})


# Synthetic fixture (made up for this test): two neighbourhoods, three small areas.
MEMBERS = pd.Series({"A1": "N1", "A2": "N1", "B1": "N2"})


def test_ratio_of_sums_is_not_the_mean_of_percentages():
    values = pd.DataFrame({"area_code": ["A1", "A2", "B1"], "value": [10.0, 50.0, 20.0],
                           "numerator": [10.0, 5.0, 20.0], "denominator": [100.0, 10.0, 100.0]})
    result = aggregate.ratio_of_sums(values, MEMBERS).set_index("area_code")
    assert result.loc["N1", "value"] == pytest.approx(15 / 110 * 100)  # not (10 + 50) / 2
    assert result.loc["N1", "numerator"] == 15 and result.loc["N1", "denominator"] == 110
    assert result.loc["N2", "value"] == pytest.approx(20.0)


def test_missing_member_is_left_out_and_noted():
    values = pd.DataFrame({"area_code": ["A1", "A2", "B1"], "value": [1.0, None, 2.0],
                           "numerator": [10.0, None, 20.0], "denominator": [100.0, 50.0, 100.0]})
    result = aggregate.ratio_of_sums(values, MEMBERS).set_index("area_code")
    assert result.loc["N1", "denominator"] == 100
    assert result.loc["N1", "note"].startswith("1 of 2 member areas have no value")
    assert result.loc["N2", "note"] == ""


def test_population_weighted_mean_and_count_sum():
    values = pd.DataFrame({"area_code": ["A1", "A2", "B1"], "value": [1.0, 3.0, 5.0]})
    weights = pd.Series({"A1": 100, "A2": 300, "B1": 50})
    result = aggregate.weighted_mean(values, MEMBERS, weights).set_index("area_code")
    assert result.loc["N1", "value"] == pytest.approx((100 * 1 + 300 * 3) / 400)
    counts = aggregate.count_sum(values, MEMBERS).set_index("area_code")
    assert counts.loc["N1", "value"] == 4 and counts.loc["N2", "value"] == 5


def test_zero_denominator_gives_no_value_not_infinity():
    values = pd.DataFrame({"area_code": ["B1"], "value": [0.0], "numerator": [0.0],
                           "denominator": [0.0]})
    result = aggregate.ratio_of_sums(values, MEMBERS).set_index("area_code")
    assert math.isnan(result.loc["N2", "value"])
    with pytest.raises(ValueError):
        aggregate.aggregate(schema.AGG_NONE, values, MEMBERS)
