"""Processing algorithms mirroring the plugin's actions, for the toolbox, models and qgis_process.

Each one reports progress and stops when cancelled through its feedback; bad input raises
QgsProcessingException with the same one-line message the plugin shows.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
    QgsProject,
    QgsWkbTypes,
)

from ..core.errors import JsnaInputError
from ..core.recipes import DEFAULT_EDITION, EDITIONS
from ..core.schema import COMPARATORS, COMPARE_LEVELS, COMPARISON_COLUMNS
from ..ui.icons import icon

THEMES = ("deprivation", "fuel_poverty", "air_quality")
CHOROPLETH_METHODS = ("quantile", "equal_interval", "natural_breaks")
NUMERIC_COLUMNS = {"value", "lower95", "upper95", "numerator", "denominator",
                   "comparator_value"}
INTEGER_COLUMNS = {"rank", "rank_of"}


def field_type(kind: str):
    """A field type QgsField accepts: QMetaType from QGIS 3.38 (and on Qt6), QVariant before."""
    if Qgis.versionInt() >= 33800:
        from qgis.PyQt.QtCore import QMetaType

        return {"double": QMetaType.Type.Double, "int": QMetaType.Type.Int,
                "string": QMetaType.Type.QString}[kind]
    from qgis.PyQt.QtCore import QVariant

    return {"double": QVariant.Type.Double, "int": QVariant.Type.Int,
            "string": QVariant.Type.String}[kind]


def open_pack_in_project() -> tuple[str, list[str]] | None:
    """(path, hubs) of the data pack open in the QGIS project, for the dialogs' defaults."""
    from ..core.packfile import place_and_hubs
    from ..core.packstore import PG_PREFIX
    from ..layers.pack import PACK_PROPERTY

    for group in QgsProject.instance().layerTreeRoot().findGroups(True):
        path = group.customProperty(PACK_PROPERTY)
        if path and (path.startswith(PG_PREFIX) or Path(path).is_file()):
            try:
                return str(path), place_and_hubs(path)[1]
            except JsnaInputError:
                return None
    return None


class CancelledError(Exception):
    """The user pressed Cancel."""


class JsnaAlgorithm(QgsProcessingAlgorithm):
    """Shared plumbing: names, help, icon, and JsnaInputError -> QgsProcessingException."""

    name_ = ""
    display = ""
    help_text = ""
    main_thread = False

    def flags(self):
        flags = super().flags()
        return flags | QgsProcessingAlgorithm.Flag.FlagNoThreading if self.main_thread else flags

    def name(self) -> str:
        return self.name_

    def displayName(self) -> str:  # noqa: N802 - QGIS's API
        return self.display

    group_ = "Maps and profiles"

    def group(self) -> str:
        return self.group_

    def groupId(self) -> str:  # noqa: N802
        return self.group_.lower().replace(" ", "_")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.help_text

    def icon(self):
        return icon("jsna")

    def createInstance(self):  # noqa: N802
        return type(self)()

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        try:
            return self.execute(parameters, context, feedback)
        except JsnaInputError as exc:
            raise QgsProcessingException(str(exc)) from None
        except CancelledError:
            feedback.reportError("CancelledError: nothing was written", False)
            return {}

    def execute(self, parameters, context, feedback) -> dict:
        raise NotImplementedError

    @staticmethod
    def step(feedback, percent: float, text: str) -> None:
        """Report progress, and stop here if the user cancelled."""
        if feedback.isCanceled():
            raise CancelledError()
        feedback.setProgress(percent)
        feedback.pushInfo(text)

    @staticmethod
    def finish(report, feedback, out: str) -> dict:
        for warning in report.warnings:
            feedback.pushWarning(warning)
        return {"OUTPUT": out}

    def lookup_and_output_parameters(self, lookup_hint: str) -> None:
        self.addParameter(QgsProcessingParameterFile(
            "HUB_LOOKUP", f"Hub lookup (CSV: area_code,hub,basis; {lookup_hint})",
            extension="csv", optional=True))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT", "Data pack", "GeoPackage (*.gpkg)"))

    def pack_parameter(self) -> None:
        """The pack, filled in with the one open in QGIS, if any."""
        opened = open_pack_in_project()
        self.addParameter(QgsProcessingParameterFile(  # the filter lets a server pack through
            "PACK", "Data pack (a .gpkg file, or PG:<connection> schema=<name> on a server)",
            defaultValue=opened[0] if opened else None,
            fileFilter="JSNA data pack (*.gpkg);;All files (*)"))

    def hub_parameter(self, name: str, description: str) -> None:
        """A hub: chosen from the open pack's hubs when a pack is open, else typed (either way
        scripts pass the hub's name)."""
        opened = open_pack_in_project()
        if opened and opened[1]:
            self.addParameter(QgsProcessingParameterEnum(
                name, description, opened[1], usesStaticStrings=True, optional=True))
        else:
            self.addParameter(QgsProcessingParameterString(name, description, optional=True))

    def written_parameters(self) -> None:
        """The council's own parts of a profile, each optional."""
        self.addParameter(QgsProcessingParameterFile(
            "LOCAL_TEXT", "Folder of 'What else is happening?' text (Markdown per topic; "
            "optional)", behavior=QgsProcessingParameterFile.Behavior.Folder, optional=True))
        self.addParameter(QgsProcessingParameterFile(
            "ASSETS", "Community assets (CSV: name, description, postcode, hub; optional)",
            extension="csv", optional=True))
        self.addParameter(QgsProcessingParameterFile(
            "TEMPLATES", "Reworded sentence templates (JSON; optional)", extension="json",
            optional=True))

    def written_options(self, parameters, context):
        from ..core.narrative import WrittenOptions

        return WrittenOptions(*(Path(p) if p else None for p in (
            self.parameterAsFile(parameters, name, context)
            for name in ("LOCAL_TEXT", "ASSETS", "TEMPLATES"))))

    @contextmanager
    def pack_project(self, parameters, context):
        """The pack's layers in a project of their own (the user's project is not touched),
        cleared however the algorithm ends: a project left with layers crashes QGIS at exit."""
        from ..layers.pack import open_pack

        project = QgsProject()
        try:
            yield project, open_pack(self.parameterAsFile(parameters, "PACK", context), project)
        finally:
            project.clear()


class BuildPack(JsnaAlgorithm):
    group_ = "Data packs"
    name_, display = "buildpack", "Build a data pack"
    help_text = ("Builds a JSNA data pack (one GeoPackage: small areas, neighbourhoods, hubs, "
                 "indicator catalogue and values, styles) from a folder of official source files "
                 "for one local authority. The place configuration names the files and the "
                 "authority (default: Coventry); the hub lookup is a CSV of area_code,hub,basis "
                 "with LSOA or MSOA codes. The pack is written to a temporary file and replaces "
                 "the output only when complete.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(
            "SOURCES", "Folder of official source files",
            behavior=QgsProcessingParameterFile.Behavior.Folder))
        self.addParameter(QgsProcessingParameterFile(
            "PLACE_CONFIG", "Place configuration (JSON; empty: Coventry)", extension="json",
            optional=True))
        self.addParameter(QgsProcessingParameterFile(
            "ENGLAND", "Folder of the national IoD files, for England's figures (optional)",
            behavior=QgsProcessingParameterFile.Behavior.Folder, optional=True))
        self.lookup_and_output_parameters("empty: the place's own")

    def execute(self, parameters, context, feedback) -> dict:
        from ..builder.pack import build_pack
        from ..builder.sources import DEFAULT_PLACE_CONFIG, PlaceConfig

        config_path = self.parameterAsFile(parameters, "PLACE_CONFIG", context)
        lookup = self.parameterAsFile(parameters, "HUB_LOOKUP", context)
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        config = PlaceConfig.load(Path(config_path) if config_path else DEFAULT_PLACE_CONFIG)
        england = self.parameterAsFile(parameters, "ENGLAND", context)
        report = build_pack(Path(self.parameterAsFile(parameters, "SOURCES", context)), Path(out),
                            config, Path(lookup) if lookup else None,
                            progress=lambda percent, text: self.step(feedback, percent, text),
                            england=Path(england) if england else None)
        return self.finish(report, feedback, out)


class BuildNationalPack(JsnaAlgorithm):
    group_ = "Data packs"
    name_, display = "buildnational", "Build a pack for any English local authority"
    help_text = ("Builds a data pack from the national files for one local authority, given by "
                 "code or name, or for all of England when left empty. The 2025 edition (the "
                 "default) reads IoD 2025, the England-wide Census 2021 LSOA tables, GIAS "
                 "schools and LSOA 2021 boundaries; the 2019 edition IoD 2019 on LSOA 2011. "
                 "Neighbourhoods are MSOAs named from their LSOAs; hubs come from your lookup "
                 "(CSV area_code,hub,basis with LSOA codes) or, without one, the authority is a "
                 "single hub. England's own figures are added so the authority can be compared "
                 "with England.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(
            "SOURCES", "Folder of the national files",
            behavior=QgsProcessingParameterFile.Behavior.Folder))
        self.addParameter(QgsProcessingParameterString(
            "LOCAL_AUTHORITY", "Local authority code or name (empty: all of England)",
            optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            "EDITION", "Edition: 2025 (IoD 2025, Census 2021, LSOA 2021) or 2019 (IoD 2019, "
            "LSOA 2011)", list(EDITIONS), defaultValue=DEFAULT_EDITION, usesStaticStrings=True))
        self.addParameter(QgsProcessingParameterFile(
            "BOUNDARIES", "Your own LSOA boundaries of the edition's year (any format and CRS; "
            "empty: national)", optional=True))
        self.addParameter(QgsProcessingParameterString(
            "CODE_FIELD", "Code field of your boundaries (empty: LSOA21CD, or LSOA11CD for "
            "2019)", optional=True))
        self.lookup_and_output_parameters("LSOA codes; empty: the authority is one hub")

    def execute(self, parameters, context, feedback) -> dict:
        from ..builder.england import build_england_pack

        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        lookup = self.parameterAsFile(parameters, "HUB_LOOKUP", context)
        boundaries = self.parameterAsFile(parameters, "BOUNDARIES", context)
        report = build_england_pack(
            Path(self.parameterAsFile(parameters, "SOURCES", context)), Path(out),
            self.parameterAsString(parameters, "LOCAL_AUTHORITY", context) or None,
            Path(lookup) if lookup else None,
            progress=lambda percent, text: self.step(feedback, percent, text),
            boundaries=Path(boundaries) if boundaries else None,
            code_column=self.parameterAsString(parameters, "CODE_FIELD", context) or None,
            edition=self.parameterAsEnumString(parameters, "EDITION", context))
        return self.finish(report, feedback, out)


class HubAreasFromSites(JsnaAlgorithm):
    group_ = "Data packs"
    name_, display = "hubareasfromsites", "Hub areas from hub sites"
    help_text = ("Writes a hub lookup (CSV area_code,hub,basis, one row per small area) for a "
                 "pack of any authority from its hub sites (a point layer, any CRS): each "
                 "small area goes to the nearest site in a straight line. Optionally, a field "
                 "of each site holds the neighbourhoods its profile names (names or codes, "
                 "separated by ';'): their small areas go to the nearest of the hubs naming "
                 "them, the rest to the nearest hub naming none. Rebuild the pack with the "
                 "lookup (Build a data pack, Hub lookup) to use it; the basis column says how "
                 "each small area was placed.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.pack_parameter()
        self.addParameter(QgsProcessingParameterFeatureSource(
            "SITES", "Hub sites", [QgsProcessing.SourceType.TypeVectorPoint]))
        self.addParameter(QgsProcessingParameterField(
            "NAME_FIELD", "Hub name field", parentLayerParameterName="SITES"))
        self.addParameter(QgsProcessingParameterField(
            "NEIGHBOURHOODS_FIELD", "Field of the neighbourhoods each hub's profile names "
            "(optional)", parentLayerParameterName="SITES", optional=True))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT", "Hub lookup", "CSV (*.csv)"))

    def execute(self, parameters, context, feedback) -> dict:
        import pandas as pd

        from ..builder.hubs import lookup_from_pack
        from ..builder.sources import BuildReport

        source = self.parameterAsSource(parameters, "SITES", context)
        if source is None:
            raise JsnaInputError("Choose a layer of hub sites")
        name_field = self.parameterAsString(parameters, "NAME_FIELD", context)
        named_field = self.parameterAsString(parameters, "NEIGHBOURHOODS_FIELD", context)
        to_grid = QgsCoordinateTransform(source.sourceCrs(),
                                         QgsCoordinateReferenceSystem("EPSG:27700"),
                                         context.transformContext())
        rows = []
        for feature in source.getFeatures():
            if feature.geometry().isEmpty():
                feedback.pushWarning(f"{feature[name_field]}: no location; left out")
                continue
            point = to_grid.transform(feature.geometry().centroid().asPoint())
            rows.append({"name": str(feature[name_field]).strip(), "x": point.x(),
                         "y": point.y(),
                         "neighbourhoods": str(feature[named_field] or "") if named_field
                         else ""})
        self.step(feedback, 30, f"Placing small areas with {len(rows)} hub sites")
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        report = BuildReport()
        lookup = lookup_from_pack(Path(self.parameterAsFile(parameters, "PACK", context)),
                                  pd.DataFrame(rows, columns=["name", "x", "y",
                                                              "neighbourhoods"]),
                                  Path(out), report)
        feedback.pushInfo(f"{len(lookup)} small areas placed: " + ", ".join(
            f"{hub} {n}" for hub, n in lookup["hub"].value_counts().sort_index().items()))
        return self.finish(report, feedback, out)


class AddIndicator(JsnaAlgorithm):
    group_ = "Data packs"
    name_, display = "addindicator", "Add an indicator to a pack"
    help_text = ("Adds a local indicator from your own table (CSV, XLSX, or any table or layer "
                 "QGIS reads) to a data pack. The code column holds LSOA or MSOA codes; give a "
                 "value column, or numerator and denominator columns (rates are then "
                 "aggregated from summed counts, with Wilson or Byar limits). Codes are checked "
                 "against the pack (2011 and 2021 codes are told apart) and unmatched ones are "
                 "reported. Everything already in the pack is kept; the pack is replaced only "
                 "when the indicator has been written.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.pack_parameter()
        self.addParameter(QgsProcessingParameterFile("TABLE", "Indicator table"))
        for name, label, optional in (
                ("ID", "Indicator id (lower-case letters, digits, _)", False),
                ("TITLE", "Title", False), ("CODE_COLUMN", "Code column", False),
                ("VALUE_COLUMN", "Value column", True),
                ("NUMERATOR_COLUMN", "Numerator column", True),
                ("DENOMINATOR_COLUMN", "Denominator column", True),
                ("LOWER_COLUMN", "Lower 95% limit column", True),
                ("UPPER_COLUMN", "Upper 95% limit column", True), ("PERIOD", "Period", True),
                ("UNIT", "Unit (e.g. %, per 1,000)", True), ("SOURCE", "Source", False),
                ("LICENCE", "Licence", True), ("SHEET", "XLSX sheet", True)):
            self.addParameter(QgsProcessingParameterString(name, label, optional=optional))
        self.addParameter(QgsProcessingParameterEnum(
            "POLARITY", "Polarity", ["high is good", "low is good", "no judgement"],
            defaultValue="no judgement", usesStaticStrings=True))
        self.addParameter(QgsProcessingParameterBoolean("REPLACE", "Replace an indicator of "
                                                        "this id", defaultValue=False))
        self.addParameter(QgsProcessingParameterBoolean(
            "CONVERT_2011", "Convert 2011 small-area codes through the ONS lookup (a "
            "2025-edition pack)", defaultValue=False))

    def execute(self, parameters, context, feedback) -> dict:
        from ..builder.add_indicator import IndicatorTable, add_indicator

        def text(name: str) -> str:
            return self.parameterAsString(parameters, name, context) or ""

        spec = IndicatorTable(
            Path(self.parameterAsFile(parameters, "TABLE", context)), text("ID"), text("TITLE"),
            text("CODE_COLUMN"), text("VALUE_COLUMN"), text("NUMERATOR_COLUMN"),
            text("DENOMINATOR_COLUMN"), text("LOWER_COLUMN"), text("UPPER_COLUMN"),
            text("PERIOD"), text("UNIT"), self.parameterAsEnumString(parameters, "POLARITY",
                                                                    context),
            source=text("SOURCE"), licence=text("LICENCE"), sheet=text("SHEET"),
            replace=self.parameterAsBoolean(parameters, "REPLACE", context),
            convert_2011=self.parameterAsBoolean(parameters, "CONVERT_2011", context))
        self.step(feedback, 10, "Checking the table against the pack")
        pack = self.parameterAsFile(parameters, "PACK", context)
        for warning in add_indicator(Path(pack), spec).warnings:
            feedback.pushWarning(warning)
        return {"PACK": pack}


class StyleLayer(JsnaAlgorithm):
    name_, display = "stylelayer", "Style a layer by an indicator"
    help_text = ("Styles a small-area or neighbourhood layer of a JSNA data pack as a "
                 "choropleth of one indicator: colours by the indicator's polarity, the class "
                 "holding the city average marked. Choose the layer in the project.")
    main_thread = True  # it styles project layers or draws layouts

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterVectorLayer(
            "INPUT", "Layer (small areas or neighbourhoods of a pack)",
            [QgsProcessing.SourceType.TypeVectorPolygon]))
        self.addParameter(QgsProcessingParameterString(
            "INDICATOR", "Indicator id (e.g. fuel_poverty, idaci, or one you added)",
            defaultValue="fuel_poverty"))
        self.addParameter(QgsProcessingParameterEnum(
            "METHOD", "Classification", list(CHOROPLETH_METHODS), defaultValue="quantile",
            usesStaticStrings=True))
        self.addParameter(QgsProcessingParameterNumber(
            "CLASSES", "Classes", QgsProcessingParameterNumber.Type.Integer, 5, minValue=3,
            maxValue=9))

    def execute(self, parameters, context, feedback) -> dict:
        from ..layers import styles
        from ..layers.pack import inspect_pack

        layer = self.parameterAsVectorLayer(parameters, "INPUT", context)
        indicator = self.parameterAsString(parameters, "INDICATOR", context)
        inspect_pack(layer.source().split("|")[0])  # knows the pack's own indicators too
        method = self.parameterAsEnumString(parameters, "METHOD", context)
        title = styles.graduated_renderer(layer, indicator, method,
                                          self.parameterAsInt(parameters, "CLASSES", context))
        layer.triggerRepaint()
        feedback.pushInfo(f"Styled {layer.name()}: {title}")
        return {"OUTPUT": layer.id()}


class CompareNeighbourhoods(JsnaAlgorithm):
    group_ = "Compare"
    name_, display = "compare", "Compare neighbourhoods"
    help_text = ("Sets each neighbourhood of a hub (or of the whole city) against the hub, the "
                 "city and England: value, 95% confidence limits (Wilson, Byar, or the source's "
                 "own), significance by the indicator's polarity, rank among the city's "
                 "neighbourhoods. With 'Compare: hub', the Family Hub areas side by side, each "
                 "ranked Nth of the hubs. One row per area and indicator, as a table and "
                 "optionally CSV.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.pack_parameter()
        self.hub_parameter("HUB", "Hub (empty: all the city's neighbourhoods)")
        self.addParameter(QgsProcessingParameterEnum(
            "COMPARATOR", "Compare with: city (the place's average), hub (each neighbourhood's "
            "hub) or england", list(COMPARATORS), defaultValue="city", usesStaticStrings=True))
        self.addParameter(QgsProcessingParameterEnum(
            "LEVEL", "Compare: neighbourhood (a hub's neighbourhoods) or hub (the Family Hub "
            "areas side by side)", list(COMPARE_LEVELS), defaultValue="neighbourhood",
            usesStaticStrings=True, optional=True))
        self.addParameter(QgsProcessingParameterFeatureSink(
            "OUTPUT", "Comparison", QgsProcessing.SourceType.TypeVector))
        self.addParameter(QgsProcessingParameterFileDestination(
            "CSV", "Comparison as CSV", "CSV (*.csv)", optional=True, createByDefault=False))

    def execute(self, parameters, context, feedback) -> dict:
        from ..core.compare import ComparePack
        from ..core.compare_export import write_csv

        self.step(feedback, 5, "Reading the pack")
        compare = ComparePack(self.parameterAsFile(parameters, "PACK", context))
        hub = self.parameterAsString(parameters, "HUB", context) or None
        comparator = self.parameterAsEnumString(parameters, "COMPARATOR", context)
        if self.parameterAsEnumString(parameters, "LEVEL", context) == "hub":
            table = compare.hubs_table(comparator)
        else:
            table = compare.table(hub, comparator=comparator)
        fields = QgsFields()
        for column in COMPARISON_COLUMNS:
            fields.append(QgsField(column, field_type(
                "double" if column in NUMERIC_COLUMNS else "int" if column in INTEGER_COLUMNS
                else "string")))
        sink, sink_id = self.parameterAsSink(parameters, "OUTPUT", context, fields,
                                             QgsWkbTypes.Type.NoGeometry)
        rows = table.long_rows()
        for i, row in enumerate(rows):
            if i % 50 == 0:
                self.step(feedback, 10 + 85 * i / len(rows), f"{i} of {len(rows)} rows")
            feature = QgsFeature(fields)
            feature.setAttributes([row[c] for c in COMPARISON_COLUMNS])
            sink.addFeature(feature, QgsFeatureSink.Flag.FastInsert)
        results = {"OUTPUT": sink_id}
        csv_path = self.parameterAsFileOutput(parameters, "CSV", context)
        if csv_path:
            results["CSV"] = str(write_csv(table, csv_path))
        return results


class HubProfile(JsnaAlgorithm):
    name_, display = "hubprofile", "Export a hub profile (PDF or Word)"
    help_text = ("Writes a hub's profile (or, with no hub, the city's: its Family Hub areas "
                 "compared) as a PDF or, for a .docx output, a Word document, in the JSNA's "
                 "four chapters: Demographics and Communities, Prospects, Housing and "
                 "Environment, Health and Wellbeing. An executive summary, then each topic: why "
                 "it matters, the local picture written from the data (significance from 95% "
                 "confidence limits), and what else is happening (the council's Markdown "
                 "text); tables, maps and charts; sources and licences.")
    main_thread = True  # it styles project layers or draws layouts

    def initAlgorithm(self, config=None):  # noqa: N802
        self.pack_parameter()
        self.hub_parameter("HUB", "Hub (empty: the city's profile)")
        self.written_parameters()
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT", "Profile", "PDF (*.pdf);;Word document (*.docx)"))

    def execute(self, parameters, context, feedback) -> dict:
        from ..core.compare import ComparePack
        from ..layouts.profile import export_profiles

        self.step(feedback, 5, "Opening the pack")
        with self.pack_project(parameters, context) as (project, pack):
            hub = self.parameterAsString(parameters, "HUB", context) or None
            self.step(feedback, 20, f"Laying out {hub or pack.contents.place}'s profile")
            target = Path(self.parameterAsFileOutput(parameters, "OUTPUT", context))
            if target.suffix.lower() not in (".pdf", ".docx"):
                raise JsnaInputError(f"{target.name}: a profile is written as .pdf or .docx")
            out = export_profiles(project, pack, ComparePack(pack.contents.location),
                                  [(hub, target)], options=self.written_options(parameters,
                                                                                context),
                                  warn=feedback.pushWarning)[0]
        return {"OUTPUT": str(out)}


class EveryProfile(JsnaAlgorithm):
    name_, display = "everyprofile", "Export every profile (each hub and the city)"
    help_text = ("Writes each Family Hub area's profile and the city's, one PDF or Word "
                 "document each, into a folder (named after the hub). Each file is written "
                 "whole or not at all; cancelling stops before the next one.")
    main_thread = True  # it styles project layers or draws layouts
    formats = ["pdf", "docx"]

    def initAlgorithm(self, config=None):  # noqa: N802
        self.pack_parameter()
        self.addParameter(QgsProcessingParameterEnum(
            "FORMAT", "Format", ["PDF", "Word document (docx)"], defaultValue=0))
        self.written_parameters()
        self.addParameter(QgsProcessingParameterFolderDestination("OUTPUT", "Folder"))

    def execute(self, parameters, context, feedback) -> dict:
        from ..core.compare import ComparePack
        from ..layouts.profile import every_profile, export_profiles

        self.step(feedback, 2, "Opening the pack")
        folder = Path(self.parameterAsString(parameters, "OUTPUT", context))
        folder.mkdir(parents=True, exist_ok=True)
        with self.pack_project(parameters, context) as (project, pack):
            compare = ComparePack(pack.contents.location)
            fmt = self.formats[self.parameterAsEnum(parameters, "FORMAT", context)]
            targets = every_profile(compare.place, compare.hubs, folder, fmt)
            written = export_profiles(
                project, pack, compare, targets,
                step=lambda done, name: self.step(feedback, 5 + 95 * done / len(targets),
                                                  f"{name}'s profile"),
                warn=feedback.pushWarning, options=self.written_options(parameters, context))
        return {"OUTPUT": str(folder), "FILES": ";".join(str(p) for p in written)}


class ReportMap(JsnaAlgorithm):
    name_, display = "reportmap", "Export a report map"
    help_text = ("A report-ready map of a hub, a neighbourhood or the whole city: deprivation, "
                 "fuel poverty, air quality, or any indicator of the pack. Title, legend of the "
                 "classes in view, scale bar, north arrow, locator inset, sources and licence. "
                 "Written as PDF, PNG or SVG (by the file's extension).")
    main_thread = True  # it draws a layout

    def initAlgorithm(self, config=None):  # noqa: N802
        self.pack_parameter()
        self.addParameter(QgsProcessingParameterString(
            "MAP", "Map: deprivation, fuel_poverty, air_quality, or an indicator id",
            defaultValue="deprivation"))
        self.addParameter(QgsProcessingParameterEnum(
            "EXTENT", "Extent", ["hub", "neighbourhood", "city"], defaultValue="hub",
            usesStaticStrings=True))
        self.addParameter(QgsProcessingParameterString(
            "AREA", "Hub name, or neighbourhood code or name (empty for the city)",
            optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            "PAPER", "Paper", ["A4 landscape", "A4 portrait", "A3 landscape", "A3 portrait"],
            defaultValue="A4 landscape", usesStaticStrings=True))
        self.addParameter(QgsProcessingParameterNumber(
            "DPI", "Resolution (PNG)", QgsProcessingParameterNumber.Type.Integer, 150,
            minValue=50, maxValue=1200))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT", "Map", "PDF (*.pdf);;PNG (*.png);;SVG (*.svg)"))

    def execute(self, parameters, context, feedback) -> dict:
        from ..core import schema
        from ..core.catalogue import lookup
        from ..layouts.export import export_layout
        from ..layouts.items import Paper
        from ..layouts.report_map import ReportMap as Spec
        from ..layouts.report_map import report_layout

        self.step(feedback, 5, "Opening the pack")
        with self.pack_project(parameters, context) as (project, pack):
            chosen = self.parameterAsString(parameters, "MAP", context)
            theme, options, level = chosen, {}, schema.LEVEL_SMALL_AREA
            if chosen not in THEMES:
                theme, options = "indicator", {"indicator_id": chosen}
                indicator = lookup(chosen, pack.contents.edition)
                if indicator and schema.LEVEL_SMALL_AREA not in indicator.levels:
                    level = schema.LEVEL_NEIGHBOURHOOD
            size, orientation = self.parameterAsEnumString(parameters, "PAPER", context).split()
            spec = Spec(theme, self.parameterAsEnumString(parameters, "EXTENT", context),
                        self.parameterAsString(parameters, "AREA", context) or None,
                        Paper(size, orientation), level, options)
            self.step(feedback, 30, "Laying out the map")
            layout = report_layout(project, pack, spec)
            self.step(feedback, 60, "Writing the file")
            out = export_layout(layout, self.parameterAsFileOutput(parameters, "OUTPUT", context),
                                dpi=self.parameterAsInt(parameters, "DPI", context))
        return {"OUTPUT": str(out)}


class Atlas(JsnaAlgorithm):
    name_, display = "atlas", "Export an atlas of neighbourhoods"
    help_text = ("A map page per neighbourhood of a hub (or of the whole city), as one PDF, or "
                 "as one PDF per neighbourhood named after it in a folder. PDFs already in the "
                 "folder are replaced only when asked to; if any page fails, no file changes.")
    main_thread = True  # it styles project layers or draws layouts

    def initAlgorithm(self, config=None):  # noqa: N802
        self.pack_parameter()
        self.hub_parameter("HUB", "Hub (empty: all the city's neighbourhoods)")
        self.addParameter(QgsProcessingParameterEnum("THEME", "Map", list(THEMES),
                                                     defaultValue="deprivation",
                                                     usesStaticStrings=True))
        self.addParameter(QgsProcessingParameterBoolean(
            "PER_NEIGHBOURHOOD", "One PDF per neighbourhood", defaultValue=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT", "Atlas PDF", "PDF (*.pdf)", optional=True))
        self.addParameter(QgsProcessingParameterFolderDestination(
            "FOLDER", "Folder for one PDF per neighbourhood", optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterBoolean(
            "OVERWRITE", "Replace PDFs already in the folder", defaultValue=False))

    def execute(self, parameters, context, feedback) -> dict:
        from ..layouts.atlas import atlas_layout
        from ..layouts.export import export_atlas

        per = self.parameterAsBoolean(parameters, "PER_NEIGHBOURHOOD", context)
        target = self.parameterAsString(parameters, "FOLDER" if per else "OUTPUT", context)
        if not target:
            raise JsnaInputError("Choose a folder for one PDF per neighbourhood" if per
                                 else "Choose the atlas PDF to write")
        self.step(feedback, 5, "Opening the pack")
        with self.pack_project(parameters, context) as (project, pack):
            theme = self.parameterAsEnumString(parameters, "THEME", context)
            layout = atlas_layout(project, pack, theme,
                                  self.parameterAsString(parameters, "HUB", context) or None)
            self.step(feedback, 30, f"Writing {layout.atlas().count()} pages")
            if per:
                Path(target).mkdir(parents=True, exist_ok=True)
            files = export_atlas(layout, Path(target), one_file=not per,
                                 overwrite=self.parameterAsBoolean(parameters, "OVERWRITE",
                                                                   context))
        return {"OUTPUT" if not per else "FOLDER": target, "FILES": len(files)}


class Publish(JsnaAlgorithm):
    group_ = "Data packs"
    name_, display = "publish", "Publish a pack to PostGIS"
    help_text = ("Publishes a data pack (GeoPackage) to a PostgreSQL/PostGIS server as one "
                 "schema, for a team to open, compare and profile: every layer and table with "
                 "primary keys and spatial indexes, and every style in QGIS's own "
                 "public.layer_styles (the layers open styled in plain QGIS). The server: a "
                 "pg_service name or connection keywords without a password (keep it in "
                 "~/.pgpass or a pg_service file). All of it is one transaction: cancelled or "
                 "failed, nothing is left on the server. An existing pack is replaced only "
                 "when asked.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.pack_parameter()
        self.addParameter(QgsProcessingParameterString(
            "SERVER", "Server (pg_service name, or keywords such as host=db dbname=gis user=me)"))
        self.addParameter(QgsProcessingParameterString("SCHEMA", "Schema (e.g. coventry_2025)"))
        self.addParameter(QgsProcessingParameterBoolean(
            "REPLACE", "Replace the pack already published in that schema", defaultValue=False))

    def execute(self, parameters, context, feedback) -> dict:
        from ..builder.publish import publish_pack

        report = publish_pack(
            Path(self.parameterAsFile(parameters, "PACK", context)),
            self.parameterAsString(parameters, "SERVER", context),
            self.parameterAsString(parameters, "SCHEMA", context),
            self.parameterAsBool(parameters, "REPLACE", context),
            lambda percent, text: self.step(feedback, percent, text))
        return {"OUTPUT": str(report.location), "TABLES": report.tables, "STYLES": report.styles}


ALGORITHMS = (BuildPack, BuildNationalPack, HubAreasFromSites, AddIndicator, Publish, StyleLayer,
              CompareNeighbourhoods, ReportMap, HubProfile, EveryProfile, Atlas)
