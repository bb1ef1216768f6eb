"""Defra background-map layout rasterised into the pack (synthetic fixture, see fixtures/README)."""

import shutil

import pytest
import rasterio

from conftest import FIXTURES, needs_sources

pytestmark = needs_sources
GRID = FIXTURES / "defra_background_synthetic.csv"


@pytest.fixture(scope="module")
def pack_with_grid(tmp_path_factory, qgis_app):
    from conftest import SOURCES, config_2019
    from jsna_profiles.builder.pack import build_pack

    folder = tmp_path_factory.mktemp("grid_sources")
    for path in SOURCES.iterdir():
        (folder / path.name).symlink_to(path)
    shutil.copy(GRID, folder / GRID.name)
    out = folder.parent / "with_grid.gpkg"
    build_pack(folder, out, config_2019())
    return out


def test_grid_columns_become_float_rasters(pack_with_grid):
    with rasterio.open(f"GPKG:{pack_with_grid}:background_no2_2019") as grid:
        assert grid.crs.to_epsg() == 27700
        assert grid.res == (1000.0, 1000.0)
        assert (grid.width, grid.height) == (6, 5)
        assert grid.bounds.left == 431000 and grid.bounds.top == 282000
        data = grid.read(1)
    # top-left square is x=431500, y=281500: 20 + 4*0 + 2*4 = 28
    assert data[0, 0] == pytest.approx(28.0)
    assert data[4, 5] == pytest.approx(40.0)  # x=436500 (i=5), y=277500 (j=0)
    with rasterio.open(f"GPKG:{pack_with_grid}:background_pm10_2019") as grid:
        assert grid.read(1)[0, 0] == pytest.approx(14.0)


def test_grid_loads_with_a_ramp_that_breaks_at_the_objective(pack_with_grid, project):
    from jsna_profiles.layers.pack import open_pack

    pack = open_pack(pack_with_grid, project)
    layer = pack.layer("background_no2_2019")
    items = layer.renderer().shader().rasterShaderFunction().colorRampItemList()
    assert [i.value for i in items][:5] == [10.0, 20.0, 30.0, 36.0, 40.0]
    assert "above objective" in items[-1].label
