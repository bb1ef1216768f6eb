"""Family Hub reach areas held per small area: the default rule, neighbourhoods split between
hubs, hub figures from their member small areas, and hub areas from hub sites."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import geopandas as gpd
import pandas as pd
import pytest

from conftest import SOURCES, config_2019, needs_sources
from jsna_profiles.core import aggregate

HARMONY_NEIGHBOURHOODS = {"E02001988", "E02001981", "E02001973"}  # City Centre, Hillfields, Stoke
PUBLISHED_HARMONY = 37_816  # mid-2018 residents, Coventry JSNA 2020 Harmony profile


def query(pack, sql: str, *params) -> list[tuple]:
    with closing(sqlite3.connect(f"file:{pack}?mode=ro", uri=True)) as db:
        return db.execute(sql, params).fetchall()


def mid_2018(codes: set) -> float:
    """Residents in mid-2018, the mean of ONS's mid-2017 and mid-2019 LSOA estimates (the
    mirror has no mid-2018 file), summed over ``codes``."""
    years = [pd.read_csv(SOURCES / f"coventry_sape_mid{year}_lsoa11_single_year_age.csv")
             .set_index("lsoa11_code")["total_population"] for year in (2017, 2019)]
    return float(sum(series.reindex(sorted(codes)).sum() for series in years) / 2)


@needs_sources
def test_harmony_is_its_profiles_small_areas_and_near_its_published_size(coventry_pack):
    small = gpd.read_file(coventry_pack, layer="small_areas")
    harmony = small[small["hub"] == "Harmony"]
    # the three neighbourhoods the profile names outright; Charterhouse, Upper Stoke and Stoke
    # Park (places inside three more) are nearer Aspire's site, so none of theirs is Harmony's
    assert set(harmony["neighbourhood_code"]) == HARMONY_NEIGHBOURHOODS
    assert len(harmony) == 15  # the published profile: "about 15 small areas"
    residents = mid_2018(set(harmony["code"]))
    assert abs(residents - PUBLISHED_HARMONY) / PUBLISHED_HARMONY < 0.15
    hubs = gpd.read_file(coventry_pack, layer="hubs").set_index("name")
    assert hubs.loc["Harmony", "published_population"] == PUBLISHED_HARMONY
    note = hubs.loc["Harmony", "membership_note"]
    assert note.startswith("all 15 small areas as the lookup gives them; 33,231 residents "
                           "(mid-2015) against 37,816 published for mid-2018")
    # every small area has a hub, and no hub is left without members
    assert (small["hub"] != "Not assigned").all() and set(small["hub"]) == set(hubs.index)
    assert hubs.loc["Aspire", "membership_note"].startswith("36 of 36 small areas approximate")
    assert "Barras Heath (73%)" in hubs.loc["Aspire", "neighbourhoods"]


@needs_sources
def test_a_split_neighbourhood_counts_its_share_in_each_hub(coventry_pack):
    shares = pd.DataFrame(query(coventry_pack, "SELECT neighbourhood_code, hub, share, "
                                               "small_areas FROM hub_shares"),
                          columns=["code", "hub", "share", "small_areas"])
    assert shares.groupby("code")["share"].sum().round(9).eq(1).all()
    split = shares[shares["share"] < 1]
    assert len(split) >= 20 and split["small_areas"].min() >= 1
    from jsna_profiles.core.compare import ComparePack

    compare = ComparePack(coventry_pack)
    barras = next(a for a in compare.neighbourhoods.values() if a.name == "Barras Heath")
    assert barras in compare.hub_neighbourhoods("Aspire")
    assert barras in compare.hub_neighbourhoods("Park Edge")
    assert compare.hub_member_label("Park Edge", barras) == "Barras Heath (27% in Park Edge)"
    assert compare.hub_member_label("Aspire", barras) == "Barras Heath (73% in Aspire)"


@pytest.fixture(scope="module")
def split_pack(tmp_path_factory, qgis_app):
    """Coventry's 2019 pack built with a SYNTHETIC LSOA lookup: Hillfields' small areas split
    between two made-up hubs, the rest of the city in a third."""
    if not SOURCES.is_dir():
        pytest.skip(f"Coventry source mirror not found at {SOURCES}")
    from jsna_profiles.builder.pack import build_pack

    folder = tmp_path_factory.mktemp("split")
    areas = pd.read_csv(SOURCES / "coventry_oa_lsoa_msoa_lookup_oac2011.csv", dtype=str)
    pairs = areas[["LSOA11CD", "MSOA11CD"]].drop_duplicates().sort_values("LSOA11CD")
    hillfields = sorted(pairs.loc[pairs["MSOA11CD"] == "E02001981", "LSOA11CD"])
    rows = [(code, "North" if code in hillfields[:2] else "South" if code in hillfields
             else "Rest", "synthetic test lookup") for code in pairs["LSOA11CD"]]
    lookup = folder / "lookup.csv"
    pd.DataFrame(rows, columns=["area_code", "hub", "basis"]).to_csv(lookup, index=False)
    out = folder / "split.gpkg"
    build_pack(SOURCES, out, config_2019(), hub_lookup=lookup)
    return out, set(hillfields[:2]), set(hillfields[2:])


def test_hub_figures_are_recomputed_from_member_small_areas(split_pack):
    pack, north, south = split_pack
    values = pd.DataFrame(query(pack, "SELECT area_code, level, indicator_id, value, numerator, "
                                      "denominator FROM indicator_values"),
                          columns=["area_code", "level", "id", "value", "num", "den"])
    lsoa = values[(values["level"] == "small_area") & (values["id"] == "income_deprivation")]
    for hub, members in (("North", north), ("South", south)):
        rows = lsoa[lsoa["area_code"].isin(members)]
        [(num, den)] = values.loc[(values["area_code"] == hub) & (values["id"] ==
                                  "income_deprivation"), ["num", "den"]].to_numpy()
        assert (num, den) == pytest.approx((rows["num"].sum(), rows["den"].sum()))
    # a figure published only for neighbourhoods (Census 2011 tenure, by MSOA) is apportioned
    # by the share of Hillfields' residents in each hub
    shares = dict(query(pack, "SELECT hub, share FROM hub_shares WHERE neighbourhood_code = "
                              "'E02001981'"))
    assert set(shares) == {"North", "South"} and sum(shares.values()) == pytest.approx(1)
    tenure = values[values["id"] == "tenure_social_rented"].set_index("area_code")
    for hub in ("North", "South"):
        assert tenure.loc[hub, "num"] == pytest.approx(tenure.loc["E02001981", "num"] * shares[hub])
        assert tenure.loc[hub, "value"] == pytest.approx(tenure.loc["E02001981", "value"])
    [(note,)] = query(pack, "SELECT note FROM indicator_values WHERE area_code = 'North' AND "
                            "indicator_id = 'tenure_social_rented'")
    assert "1 member areas lie only partly inside" in note
    from jsna_profiles.core.compare import ComparePack

    compare = ComparePack(pack)
    assert [a.code for a in compare.hub_neighbourhoods("North")] == ["E02001981"]
    assert compare.hub_member_label("North", compare.area("E02001981")).startswith(
        "Hillfields (")


def test_shares_in_aggregation():
    """SYNTHETIC: one neighbourhood A wholly in hub H, B 40% in H and 60% in K."""
    values = pd.DataFrame({"area_code": ["A", "B"], "indicator_id": ["x", "x"],
                           "value": [10.0, 20.0], "numerator": [10.0, 20.0],
                           "denominator": [100.0, 200.0]})
    membership = pd.DataFrame({"code": ["A", "B", "B"], "parent": ["H", "H", "K"],
                               "share": [1.0, 0.4, 0.6]})
    ratio = aggregate.ratio_of_sums(values, membership).set_index("area_code")
    assert ratio.loc["H", ["numerator", "denominator"]].tolist() == [18.0, 180.0]
    assert ratio.loc["K", "value"] == pytest.approx(10.0)
    counts = aggregate.count_sum(values, membership).set_index("area_code")
    assert counts.loc["H", "value"] == 18.0 and counts.loc["K", "value"] == 12.0
    mean = aggregate.weighted_mean(values, membership,
                                   pd.Series({"A": 100.0, "B": 100.0})).set_index("area_code")
    assert mean.loc["H", "value"] == pytest.approx((10 * 100 + 20 * 40) / 140)
    assert "1 member areas lie only partly inside" in ratio.loc["H", "note"]
    assert ratio.loc["K", "note"].startswith("1 member areas lie only partly inside")


def test_hub_areas_from_hub_sites(coventry_pack, tmp_path):
    """The default rule for a council without a lookup: nearest site, optionally only among the
    hubs naming a neighbourhood. Sites are the real hubs' postcodes (Code-Point Open)."""
    from jsna_profiles.builder.hubs import lookup_from_pack
    from jsna_profiles.builder.sources import BuildReport

    places = dict(((p, (x, y)) for p, x, y in query(coventry_pack,
                                                   "SELECT postcode, x, y FROM postcodes")))
    hubs = query(coventry_pack, "SELECT name, postcode FROM hubs")
    sites = pd.DataFrame([(name, *places[postcode.replace(" ", "")]) for name, postcode in hubs],
                         columns=["name", "x", "y"])
    sites["neighbourhoods"] = ""
    sites.loc[sites["name"] == "Harmony", "neighbourhoods"] = "Hillfields; E02001988; Nowhere"
    report = BuildReport()
    out = tmp_path / "lookup.csv"
    lookup = lookup_from_pack(coventry_pack, sites, out, report)
    assert len(lookup) == 195 and pd.read_csv(out).equals(lookup)
    small = gpd.read_file(coventry_pack, layer="small_areas").set_index("code")
    harmony = lookup[lookup["hub"] == "Harmony"]
    assert set(small.loc[harmony["area_code"], "neighbourhood_code"]) == {"E02001981",
                                                                        "E02001988"}
    assert report.warnings == ["Harmony: Nowhere match no neighbourhood of the pack (by name "
                               "or code) and are not used"]
    others = lookup[~lookup["area_code"].isin(harmony["area_code"])]
    assert others["basis"].str.startswith("approximate: nearest Family Hub site").all()
    assert "Harmony" not in set(others["hub"])


@pytest.mark.parametrize("name, message", [
    ("=HYPERLINK(\"x\")", "starts with '='"), ("[% @x %]", "contains '\\[%'"), (" ", "is empty"),
])
def test_hub_site_names_a_spreadsheet_or_qgis_would_run_are_refused(name, message):
    from jsna_profiles.builder.hubs import lookup_from_sites
    from jsna_profiles.core.errors import JsnaInputError

    small = gpd.GeoDataFrame({"code": ["A"], "neighbourhood_code": ["N"]},
                             geometry=gpd.points_from_xy([0], [0]).buffer(1), crs="EPSG:27700")
    sites = pd.DataFrame({"name": ["O'Brien \"Hub\"", name], "x": [0.0, 5.0], "y": [0.0, 5.0]})
    with pytest.raises(JsnaInputError, match=message):
        lookup_from_sites(small, sites)
    assert lookup_from_sites(small, sites.iloc[:1])["hub"].tolist() == ["O'Brien \"Hub\""]


def test_a_published_population_that_is_not_a_number_is_named(tmp_path):
    import json

    from jsna_profiles.builder.sources import DEFAULT_PLACE_CONFIG, PlaceConfig
    from jsna_profiles.core.errors import JsnaInputError

    raw = json.loads(DEFAULT_PLACE_CONFIG.read_text())
    raw["published_hubs"]["Harmony"]["population"] = "37,816"
    raw["hub_lookup"] = str(DEFAULT_PLACE_CONFIG.parent / raw["hub_lookup"])
    config = tmp_path / "place.json"
    config.write_text(json.dumps(raw))
    with pytest.raises(JsnaInputError, match="Harmony's population must be a number, not "
                                             "'37,816'"):
        PlaceConfig.load(config)
