"""Opening the pack and styling it: renderer classes, labels and colours as specified."""

import pytest
from qgis.core import QgsProject

from conftest import needs_sources

pytestmark = needs_sources


@pytest.fixture
def pack(coventry_pack, project):
    from jsna_profiles.layers.pack import open_pack

    return open_pack(coventry_pack, project)


def test_group_order_crs_and_default_styles(pack, project):
    names = [node.layer().customProperty("jsna/role") for node in pack.group.findLayers()]
    assert names[0] == "hubs" and names[-1] == "small_areas"
    assert pack.group.name() == "Coventry"
    assert project.crs().authid() == "EPSG:27700"
    # the pack opens styled from its layer_styles table
    assert pack.layer("small_areas").renderer().type() == "categorizedSymbol"
    assert pack.layer("monitoring_sites").renderer().type() == "RuleRenderer"
    assert pack.layer("hubs").labelsEnabled() and pack.layer("neighbourhoods").labelsEnabled()
    abstract = pack.layer("hubs").metadata().abstract()
    assert "Harmony: all 15 small areas as the lookup gives them; 33,231 residents" in abstract
    assert ("Aspire: 36 of 36 small areas approximate (21 in neighbourhoods no profile names, "
            "nearest this hub's site; 15 in neighbourhoods another hub's profile names only in "
            "part, nearer this hub's site)") in abstract
    assert any("Crown copyright" in r for r in pack.layer("small_areas").metadata().rights())


def test_opening_twice_does_not_duplicate(coventry_pack, pack, project):
    from jsna_profiles.layers.pack import open_pack

    count = len(project.mapLayers())
    again = open_pack(coventry_pack, project)
    assert len(project.mapLayers()) == count and again.group is pack.group


def test_deprivation_deciles(pack):
    from jsna_profiles.layers.themes import apply_theme

    apply_theme(pack, "deprivation")
    renderer = pack.layer("small_areas").renderer()
    categories = renderer.categories()
    assert renderer.classAttribute() == "imd_decile"
    assert [c.value() for c in categories] == list(range(1, 11))
    assert categories[0].label() == "1 – most deprived 10%"
    assert categories[0].symbol().color().name() == "#440154"  # darkest
    assert categories[9].symbol().color().name() == "#fde725"
    apply_theme(pack, "deprivation", domain="living_environment")
    assert pack.layer("small_areas").renderer().classAttribute() == "living_environment_decile"


@pytest.mark.parametrize("method", ["quantile", "equal_interval", "natural_breaks"])
def test_fuel_poverty_classifications(pack, method):
    from jsna_profiles.layers.themes import apply_theme

    title = apply_theme(pack, "fuel_poverty", method=method)
    renderer = pack.layer("small_areas").renderer()
    ranges = renderer.ranges()
    assert renderer.classAttribute() == "fuel_poverty" and len(ranges) == 5
    assert "%" in title and "2020" in title and "BEIS" in title
    assert ranges[0].lowerValue() == pytest.approx(4.58, abs=0.01)  # lowest LSOA
    assert ranges[-1].upperValue() == pytest.approx(50.21, abs=0.01)  # highest LSOA
    marked = [r.label() for r in ranges if "Coventry average 20.3%" in r.label()]
    assert len(marked) == 1
    # worse (higher) is darker for a low-is-good indicator
    assert ranges[0].symbol().color().lightness() > ranges[-1].symbol().color().lightness()
    if method == "equal_interval":
        widths = {round(r.upperValue() - r.lowerValue(), 6) for r in ranges}
        assert len(widths) == 1


def test_fixed_breaks(pack):
    from jsna_profiles.core.errors import JsnaInputError
    from jsna_profiles.layers.themes import apply_theme

    apply_theme(pack, "fuel_poverty", method="fixed", breaks_text="10, 20, 30")
    ranges = pack.layer("small_areas").renderer().ranges()
    assert [r.upperValue() for r in ranges[:-1]] == [10, 20, 30]
    assert ranges[1].label().startswith("10.0 – 20.0%")
    with pytest.raises(JsnaInputError, match="increasing"):
        apply_theme(pack, "fuel_poverty", method="fixed", breaks_text="30, 10")


def test_air_quality_and_sites(pack):
    from jsna_profiles.layers.themes import apply_theme

    title = apply_theme(pack, "air_quality")
    assert pack.layer("small_areas").renderer().classAttribute() == "air_quality"
    assert "2016" in title
    labels = [r.label() for r in pack.layer("small_areas").renderer().ranges()]
    assert labels[0].endswith("(cleanest air)") and "(worst air)" in labels[-1]
    apply_theme(pack, "air_quality", component="air_quality_no2")
    assert pack.layer("small_areas").renderer().classAttribute() == "air_quality_no2"
    rules = pack.layer("monitoring_sites").renderer().rootRule().children()
    labels = [r.label() for r in rules]
    assert labels[0] == "Above 40 µg/m³ (objective)" and labels[1].startswith("36–40 µg/m³")
    assert [r.symbol().color().name() for r in rules[:3]] == ["#d7191c", "#fdae61", "#2c7bb6"]
    assert pack.group.findLayer(pack.layer("aqma").id()).isVisible()


def test_any_indicator_at_neighbourhood_level(pack):
    from jsna_profiles.core.errors import JsnaInputError
    from jsna_profiles.layers.themes import apply_theme

    apply_theme(pack, "indicator", level="neighbourhood", indicator_id="life_expectancy_female")
    renderer = pack.layer("neighbourhoods").renderer()
    if renderer.type() == "RuleRenderer":  # some neighbourhoods have no published figure
        rules = renderer.rootRule().children()
        assert rules[-1].filterExpression() == '"life_expectancy_female" IS NULL'
        classes = [r.symbol() for r in rules[:-1]]
        assert all('"life_expectancy_female"' in r.filterExpression() for r in rules)
    else:
        assert renderer.classAttribute() == "life_expectancy_female"
        classes = [r.symbol() for r in renderer.ranges()]
    # high is good: low life expectancy is drawn darker
    assert classes[0].color().lightness() < classes[-1].color().lightness()
    with pytest.raises(JsnaInputError, match="not published for small areas"):
        apply_theme(pack, "indicator", indicator_id="life_expectancy_female")


def test_styles_export_as_qml(coventry_pack, tmp_path):
    from jsna_profiles.layers.pack_styles import export_qml

    written = export_qml(coventry_pack, tmp_path)
    qml = (tmp_path / "small_areas.qml").read_text()
    assert len(written) >= 6 and "imd_decile" in qml and "categorizedSymbol" in qml
    assert QgsProject.instance() is not None
