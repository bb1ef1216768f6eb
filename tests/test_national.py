"""Packs from the national files: any English local authority, and all of England.

Uses ../shared/data/england (or $JSNA_ENGLAND); skipped, saying so, without it.
"""

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from conftest import ROOT
from jsna_profiles.core.compare import ComparePack
from jsna_profiles.core.errors import JsnaInputError

ENGLAND = Path(os.environ.get("JSNA_ENGLAND", ROOT.parent / "shared" / "data" / "england"))
needs_england = pytest.mark.skipif(not ENGLAND.is_dir(),
                                   reason=f"national files not found at {ENGLAND}")


@pytest.fixture(scope="module")
def coventry_national(tmp_path_factory, qgis_app):
    if not ENGLAND.is_dir():
        pytest.skip(f"national files not found at {ENGLAND}")
    from jsna_profiles.builder.england import build_england_pack

    out = tmp_path_factory.mktemp("national") / "coventry.gpkg"
    build_england_pack(ENGLAND, out, "coventry")
    return out


@needs_england
def test_any_authority_by_name_matches_the_local_build(coventry_national, coventry_pack):
    national, local = ComparePack(coventry_national), ComparePack(coventry_pack)
    assert (national.place, national.city_code, len(national.neighbourhoods)) == \
        ("Coventry", "E08000026", 42)
    assert national.hubs == ["Coventry"]  # no lookup given: the authority is one hub
    income = next(i for i in national.indicators if i.indicator_id == "income_deprivation")
    city = national.cell(national.area("E08000026"), income, "england")
    local_city = local.cell(local.area("E08000026"), income)
    assert city.value == pytest.approx(local_city.value)  # 15.4%, from the same counts
    assert city.comparator_name == "England" and city.comparator_value == pytest.approx(12.83,
                                                                                         abs=0.01)
    assert city.significance == "worse"


@needs_england
def test_hub_lookup_and_unknown_authority(tmp_path, qgis_app):
    from jsna_profiles.builder.england import build_england_pack

    with pytest.raises(JsnaInputError, match="did you mean Coventry"):
        build_england_pack(ENGLAND, tmp_path / "x.gpkg", "Coventree")
    # SYNTHETIC lookup for the test: two made-up hubs over Rutland's LSOAs, by neighbourhood
    rutland = tmp_path / "rutland.gpkg"
    build_england_pack(ENGLAND, rutland, "E06000017")
    with closing(sqlite3.connect(f"file:{rutland}?mode=ro&immutable=1", uri=True)) as db:
        lsoas = db.execute("SELECT code, neighbourhood_code FROM small_areas ORDER BY code")
        lsoas = lsoas.fetchall()
    first = min(nb for _, nb in lsoas)
    lookup = tmp_path / "hubs.csv"
    lookup.write_text("area_code,hub,basis\n" + "".join(
        f"{code},{'North' if nb == first else 'South'},synthetic test lookup\n"
        for code, nb in lsoas))
    build_england_pack(ENGLAND, rutland, "Rutland", lookup)
    assert ComparePack(rutland).hubs == ["North", "South"]
    assert not list(tmp_path.glob(".*"))


def test_england_pack_builds_opens_and_compares(tmp_path_factory, qgis_app):
    """The whole of England: 32,844 small areas, 6,791 neighbourhoods, 317 districts."""
    if not ENGLAND.is_dir() or os.environ.get("JSNA_SKIP_ENGLAND"):
        pytest.skip(f"national files not found at {ENGLAND} (or JSNA_SKIP_ENGLAND set)")
    from qgis.core import QgsProject

    from jsna_profiles.builder.england import build_england_pack
    from jsna_profiles.layers.pack import open_pack
    from jsna_profiles.layers.themes import apply_theme

    out = tmp_path_factory.mktemp("england") / "england.gpkg"
    build_england_pack(ENGLAND, out)
    project = QgsProject()
    pack = open_pack(out, project)
    assert pack.layer("small_areas").featureCount() == 32844
    assert pack.layer("neighbourhoods").featureCount() == 6791
    assert pack.layer("hubs").featureCount() == 317
    apply_theme(pack, "deprivation")
    assert pack.layer("small_areas").renderer().classAttribute() == "imd_decile"
    project.clear()
    compare = ComparePack(out)
    table = compare.table("Coventry")
    assert [a.name for a in table.areas][-2:] == ["Coventry", "England"]
    assert sum(a.level == "neighbourhood" for a in table.areas) == 42
