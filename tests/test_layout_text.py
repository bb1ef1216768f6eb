"""Layout text fits its items as this QGIS version draws it (3.22 with Qt's metrics, 3.24 and
later with the text renderer), long text goes on to more pages, and the labels that matter
(monitoring sites, hub names) win their place on the map."""

import pytest
from qgis.core import (
    QgsLayoutItemLabel,
    QgsLayoutItemPage,
    QgsPrintLayout,
    QgsProject,
    QgsVectorLayerSimpleLabeling,
)
from test_layouts import pdf_text

from jsna_profiles.core import schema
from jsna_profiles.core.compare import ComparePack
from jsna_profiles.layers.styles import LABEL_PRIORITY
from jsna_profiles.layouts import items
from jsna_profiles.layouts.atlas import atlas_layout
from jsna_profiles.layouts.export import export_layout
from jsna_profiles.layouts.profile import CITY_PROFILE, profile_layout
from jsna_profiles.layouts.report_map import ReportMap, report_layout

SLACK_MM = 0.3  # rounding between one measurement and another


def overflowing(layout: QgsPrintLayout) -> list[str]:
    """Labels whose text needs more room than the item gives it, or that run off their page."""
    found = []
    pages = layout.pageCollection()
    for item in layout.items():
        if not isinstance(item, QgsLayoutItemLabel):
            continue
        width, height = items.text_size(item)
        box = item.rectWithFrame()
        room_w, room_h = box.width() - 2 * item.marginX(), box.height() - 2 * item.marginY()
        position = item.pagePos()
        page = pages.page(item.page()).pageSize()
        if (width > room_w + SLACK_MM or height > room_h + SLACK_MM
                or position.y() + box.height() > page.height() + SLACK_MM
                or position.x() + box.width() > page.width() + SLACK_MM):
            found.append(f"{item.id()} on page {item.page() + 1}: needs {width:.1f} x "
                         f"{height:.1f} mm, has {room_w:.1f} x {room_h:.1f} mm "
                         f"({item.currentText()[:50]!r})")
    return found


def test_no_label_in_a_profile_overflows_and_none_is_html(opened_pack, coventry_pack):
    compare = ComparePack(coventry_pack)
    for hub in ("Harmony", CITY_PROFILE):
        layout = profile_layout(QgsProject.instance(), opened_pack, compare, hub)
        labels = [i for i in layout.items() if isinstance(i, QgsLayoutItemLabel)]
        assert len(labels) > 100
        assert not [i.id() for i in labels if i.mode() == QgsLayoutItemLabel.Mode.ModeHtml]
        assert "\n".join(overflowing(layout)) == "", hub


def test_no_label_in_report_maps_or_atlas_pages_overflows(opened_pack):
    project = QgsProject.instance()
    for spec in (ReportMap("fuel_poverty", "hub", "Harmony"), ReportMap("air_quality", "city"),
                 ReportMap("deprivation", "neighbourhood", "E02001973")):
        assert overflowing(report_layout(project, opened_pack, spec)) == [], spec.theme
    atlas = atlas_layout(project, opened_pack, "deprivation", "Harmony")
    atlas.atlas().beginRender()
    while atlas.atlas().next():  # each page's own neighbourhood name in the title
        assert overflowing(atlas) == [], atlas.atlas().currentFeatureNumber()
    atlas.atlas().endRender()


def portrait_pages():
    """An A4 portrait layout of one page, the pages it has, and a ``more`` that adds one."""
    layout = QgsPrintLayout(QgsProject.instance())
    layout.initializeDefaults()
    portrait = items.Paper("A4", "portrait")
    items.set_page(layout, 0, portrait)
    pages = [0]

    def more():
        pages.append(len(pages))
        items.set_page(layout, pages[-1], portrait)
        return pages[-1], (20, 20, 170, 250)

    return layout, pages, more


def test_text_longer_than_a_page_goes_on_to_more_pages(qgis_app):
    layout, pages, more = portrait_pages()
    # synthetic text: 120 numbered paragraphs of three lines each at 9 points
    paragraphs = [items.Paragraph(f"Paragraph {n}. " + "A sentence of words. " * 24, 9,
                                  space_before=2) for n in range(120)]
    items.flow(layout, "long", paragraphs, (20, 60, 170, 210), 0, more)
    assert len(pages) >= 6  # about 120 x 13 mm of text, 250 mm a page
    assert overflowing(layout) == []
    placed = sorted((i.page(), i.pagePos().y(), i.id()) for i in layout.items()
                    if isinstance(i, QgsLayoutItemLabel))
    assert [p[2] for p in placed] == [f"long_{n}" for n in range(120)]  # in reading order
    assert placed[0][1] == pytest.approx(60) and placed[-1][0] == len(pages) - 1
    for (page, y, _), (next_page, next_y, _) in zip(placed, placed[1:]):
        assert next_page > page or next_y > y + 9  # never on top of one another
    assert layout.pageCollection().pageCount() == len(pages)
    assert all(p.pageSize().width() == pytest.approx(210)
               for p in layout.pageCollection().pages() if isinstance(p, QgsLayoutItemPage))


def test_sites_and_hub_names_win_their_place_on_the_map(opened_pack, tmp_path):
    labelled = {role: opened_pack.layer(role).labeling() for role in
                (schema.MONITORING_SITES, schema.HUBS, schema.NEIGHBOURHOODS)}
    for role, labeling in labelled.items():
        assert isinstance(labeling, QgsVectorLayerSimpleLabeling), role
    priority = {role: labeling.settings().priority for role, labeling in labelled.items()}
    assert priority == {schema.MONITORING_SITES: LABEL_PRIORITY["sites"],
                        schema.HUBS: LABEL_PRIORITY["hubs"],
                        schema.NEIGHBOURHOODS: LABEL_PRIORITY["neighbourhoods"]}
    assert priority[schema.MONITORING_SITES] > priority[schema.HUBS] > priority[
        schema.NEIGHBOURHOODS]
    layout = report_layout(QgsProject.instance(), opened_pack, ReportMap("air_quality", "city"))
    text = pdf_text(export_layout(layout, tmp_path / "air.pdf", "pdf", dpi=100))
    sites = [f["site_name"] for f in opened_pack.layer(schema.MONITORING_SITES).getFeatures()]
    assert "Coventry Allesley" in sites
    for name in sites:  # every site's reading is drawn, neighbourhood names around it or not
        assert name in text, name


def test_a_heading_never_ends_a_page(qgis_app):
    layout, pages, more = portrait_pages()
    # synthetic text: headings, each over a body of two to five lines
    paragraphs = [part for n in range(60) for part in (
        items.Paragraph(f"Heading {n}", 9, bold=True, space_before=3),
        items.Paragraph("Words in a body. " * (12 + 9 * (n % 4)), 8))]
    items.flow(layout, "headed", paragraphs, (20, 20, 170, 250), 0, more)
    assert len(pages) >= 3 and overflowing(layout) == []
    placed = sorted((i.page(), i.pagePos().y(), i.currentText()) for i in layout.items()
                    if isinstance(i, QgsLayoutItemLabel))
    last_on_each_page = [placed[n][2] for n in range(len(placed))
                         if n + 1 == len(placed) or placed[n + 1][0] != placed[n][0]]
    assert not [text for text in last_on_each_page if text.startswith("Heading")]


def test_no_label_in_the_2025_editions_profile_overflows(coventry_pack_2025):
    """The 2025 edition's longer titles (crime rates, sub-domains) and its fifth chapter."""
    from jsna_profiles.layers.pack import open_pack

    project = QgsProject.instance()
    try:
        pack = open_pack(coventry_pack_2025, project)
        layout = profile_layout(project, pack, ComparePack(coventry_pack_2025), "Harmony")
        assert "\n".join(overflowing(layout)) == ""
    finally:
        project.clear()
