"""The QGIS plugin: a 'JSNA Area Profiles' menu and toolbar that delegate to layers/ and ui/."""

from __future__ import annotations

import re
from pathlib import Path

from qgis.core import Qgis, QgsProject
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QAction, QApplication, QFileDialog, QMenu, QMessageBox, QPushButton

from .core import schema
from .core.errors import JsnaInputError
from .core.recipes import DEFAULT_EDITION
from .ui.icons import icon

MENU = "&JSNA Area Profiles"
TITLE = "JSNA Area Profiles"
STATUS_SECONDS = 10
LAST_FOLDER_SETTING = "jsna_area_profiles/last_pack_folder"


def _plain_message(parent, text: str) -> None:
    """An information box showing ``text`` as written (hub names are data, never markup)."""
    box = QMessageBox(QMessageBox.Icon.Information, TITLE, text, QMessageBox.StandardButton.Ok,
                      parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()


class JsnaProfilesPlugin:
    """Owns every action, menu entry and toolbar it adds, and removes them all in unload()."""

    def __init__(self, iface):
        self.iface = iface
        self.actions: list[QAction] = []
        self.toolbar = None
        self.menu = None
        self.pack = None
        self.compare_panel = None
        self._compare_packs: dict = {}
        self.provider = None
        self._publishing = None  # the publish task running, if any

    def initProcessing(self) -> None:  # noqa: N802 - QGIS's name (also called by qgis_process)
        from qgis.core import QgsApplication

        from .provider.provider import JsnaProvider

        if self.provider is None:
            self.provider = JsnaProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:  # noqa: N802 - QGIS's name
        from .layers.connections import use_qgis_authentication
        from .layouts.chart_item import register_chart_item

        register_chart_item()  # profiles saved in projects show their charts
        use_qgis_authentication()  # server packs' passwords from QGIS's authentication database
        self.initProcessing()
        self.toolbar = self.iface.addToolBar(TITLE)
        self.toolbar.setObjectName("JsnaAreaProfilesToolbar")
        self.menu = self._top_level_menu()
        self._add("open_pack", "Open data pack…", self.open_pack_dialog)
        self._add("open_server_pack", "Open pack from PostGIS…", self.open_server_pack_dialog)
        self._add("publish", "Publish pack to PostGIS…", self.publish_dialog)
        self.menu.addSeparator()
        self._add("deprivation", "Map deprivation (IMD deciles)",
                  lambda: self.apply_theme("deprivation"))
        self._add("deprivation_change", "Map change in deprivation since 2019",
                  lambda: self.apply_theme("deprivation_change"))
        self._add("fuel_poverty", "Map fuel poverty", lambda: self.apply_theme("fuel_poverty"))
        self._add("air_quality", "Map air quality", lambda: self.apply_theme("air_quality"))
        self._add("indicator", "Map any indicator…", self.style_dialog)
        self.menu.addSeparator()
        self._add("compare", "Compare neighbourhoods…", self.show_compare_panel)
        self._add("add_indicator", "Add an indicator from your own table…",
                  self.add_indicator_dialog)
        self.menu.addSeparator()
        self._add("report_map", "Report map…", self.report_map_dialog)
        self._add("atlas", "Atlas of neighbourhoods…", lambda: self.hub_export_dialog("atlas"))
        self._add("profile", "Profile, PDF or Word (a hub, the city, or all)…",
                  lambda: self.hub_export_dialog("profile"))
        QgsProject.instance().readProject.connect(self._project_read)
        QgsProject.instance().cleared.connect(self._project_cleared)

    def _top_level_menu(self) -> QMenu:
        """The plugin's own menu in QGIS's menu bar, before Help (as Processing's is)."""
        bar = self.iface.mainWindow().menuBar()
        menu = QMenu(MENU, bar)
        menu.setObjectName("JsnaAreaProfilesMenu")
        help_menu = next((a for a in bar.actions()
                          if a.menu() is not None and a.menu().objectName() == "mHelpMenu"), None)
        if help_menu is not None:
            bar.insertMenu(help_menu, menu)
        else:
            bar.addMenu(menu)
        return menu

    def _add(self, name: str, text: str, slot) -> QAction:
        action = QAction(icon(name), text, self.iface.mainWindow())
        action.setObjectName(f"jsna_{name}")
        action.triggered.connect(lambda *_args: self._guarded(slot))
        self.menu.addAction(action)
        self.toolbar.addAction(action)
        self.actions.append(action)
        return action

    def unload(self) -> None:
        if self.provider is not None:
            from qgis.core import QgsApplication

            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        QgsProject.instance().readProject.disconnect(self._project_read)
        QgsProject.instance().cleared.disconnect(self._project_cleared)
        if self.compare_panel is not None:
            self.compare_panel.save_state()
            self.compare_panel.detach()
            self.iface.removeDockWidget(self.compare_panel)
            self.compare_panel.deleteLater()
            self.compare_panel = None
        for action in self.actions:
            self.toolbar.removeAction(action)
            action.triggered.disconnect()  # now, not when Qt gets round to deleting it
            action.deleteLater()
        self.actions.clear()
        if self.menu is not None:
            self.iface.mainWindow().menuBar().removeAction(self.menu.menuAction())
            self.menu.deleteLater()
            self.menu = None
        if self.toolbar is not None:
            self.iface.mainWindow().removeToolBar(self.toolbar)
            self.toolbar.deleteLater()
            self.toolbar = None
        self.pack = None
        self._compare_packs.clear()

    def _guarded(self, slot):
        """Run an action: bad input becomes its one-line message; anything unexpected a short
        message with the details in the Log Messages panel, never a Python traceback dialog."""
        try:
            return slot()
        except JsnaInputError as exc:
            self._error(exc)
        except Exception as exc:  # noqa: BLE001 - the last guard before QGIS's traceback dialog
            import traceback

            from qgis.core import QgsMessageLog

            QgsMessageLog.logMessage(traceback.format_exc(), TITLE, Qgis.MessageLevel.Critical)
            self._error(f"Something went wrong ({type(exc).__name__}: {exc}). The details are in "
                        f"the Log Messages panel, under '{TITLE}'.")
        return None

    # Messages -----------------------------------------------------------------------------
    def _error(self, exc: Exception) -> None:
        self.iface.messageBar().pushMessage(TITLE, str(exc), level=Qgis.MessageLevel.Critical,
                                            duration=0)

    def _info(self, text: str, keep_warnings: bool = False) -> None:
        """A success: earlier messages (an error since put right) are cleared first, except
        the warnings this action itself gave when ``keep_warnings``."""
        if not keep_warnings:
            self._clear_messages()
        self.iface.messageBar().pushMessage(TITLE, text, level=Qgis.MessageLevel.Info,
                                            duration=STATUS_SECONDS)

    def _info_with_details(self, text: str, details: str) -> None:
        """One short line that stays, with a Details button for the full explanation."""
        self._clear_messages()
        bar = self.iface.messageBar()
        message = bar.createMessage(TITLE, text)
        button = QPushButton("Details…", message)
        button.setObjectName("jsna_details")
        window = self.iface.mainWindow()  # not self: the message may outlive the plugin
        button.clicked.connect(lambda: _plain_message(window, details))
        message.layout().addWidget(button)
        bar.pushWidget(message, Qgis.MessageLevel.Info, 0)

    def _clear_messages(self) -> None:
        """The plugin's earlier messages (an error since put right) go; other plugins' and
        QGIS's own stay."""
        bar = self.iface.messageBar()
        for item in list(bar.items()):
            if item.title() == TITLE:
                bar.popWidget(item)

    def _warning(self, text: str) -> None:
        self.iface.messageBar().pushMessage(TITLE, text, level=Qgis.MessageLevel.Warning,
                                            duration=0)

    def _status(self, text: str) -> None:
        self.iface.statusBarIface().showMessage(f"{TITLE}: {text}", STATUS_SECONDS * 1000)

    # Actions -------------------------------------------------------------------------------
    def open_pack_dialog(self) -> None:
        """Choose a pack, starting in the folder the last one came from."""
        from qgis.core import QgsSettings

        settings = QgsSettings()
        folder = settings.value(LAST_FOLDER_SETTING, "")
        path, _ = QFileDialog.getOpenFileName(self.iface.mainWindow(), "Open JSNA data pack",
                                              folder, "JSNA data pack (*.gpkg)")
        if path:
            settings.setValue(LAST_FOLDER_SETTING, str(Path(path).parent))
            self.open_pack(path)

    def open_server_pack_dialog(self) -> None:
        """Choose one of QGIS's saved PostgreSQL connections and a pack published on it."""
        from .core.packstore import list_packs
        from .layers.connections import connection_conninfo, saved_connections
        from .ui.server_dialog import ServerPackDialog

        dialog = ServerPackDialog("open", saved_connections(),
                                  lambda name: list_packs(connection_conninfo(name)),
                                  parent=self.iface.mainWindow())
        if dialog.exec():
            chosen = dialog.choice()
            self.open_server_pack(chosen["connection"], chosen["schema"])

    def open_server_pack(self, connection: str, schema: str):
        """Open the pack published as ``schema`` on a saved connection; None on bad input."""
        from .core.packstore import server_location
        from .layers.connections import connection_conninfo

        try:
            location = server_location(connection_conninfo(connection), schema)
        except JsnaInputError as exc:
            self._error(exc)
            return None
        return self.open_pack(str(location))

    def publish_dialog(self) -> None:
        """Publish the open pack to a saved connection, as a task."""
        from .layers.connections import saved_connections
        from .ui.server_dialog import ServerPackDialog

        pack = self._require_pack()  # run as an action: _guarded shows the message
        if pack.contents.path is None:
            raise JsnaInputError("This pack is already on a server; publish a pack from its "
                                 "GeoPackage")
        edition = pack.contents.edition
        default = re.sub(r"[^a-z0-9_]+", "_", f"{pack.contents.place}_{edition}".lower())
        dialog = ServerPackDialog("publish", saved_connections(), schema=default,
                                  parent=self.iface.mainWindow())
        if dialog.exec():
            chosen = dialog.choice()
            self.publish(chosen["connection"], chosen["schema"], chosen["replace"])

    def publish(self, connection: str, schema: str, replace: bool = False):
        """Publish the open pack (its GeoPackage) in a QgsTask: progress in QGIS's task
        manager; cancelling rolls the server back, leaving nothing half-published. Returns the
        task (None on bad input)."""
        from qgis.core import QgsApplication, QgsTask

        from .builder.publish import publish_pack
        from .core.packstore import server_location
        from .layers.connections import connection_conninfo

        try:
            path = self._require_pack().contents.path
            if path is None:
                raise JsnaInputError("This pack is already on a server")
            location = server_location(connection_conninfo(connection), schema)
        except JsnaInputError as exc:
            self._error(exc)
            return None

        def run(task):
            def progress(percent: float, _text: str) -> None:
                if task.isCanceled():
                    raise JsnaInputError("Publishing cancelled: nothing was published")
                task.setProgress(percent)
            return publish_pack(path, location.conninfo, location.schema, replace, progress)

        def finished(exception, report=None):
            if exception is not None:
                self._error(exception if isinstance(exception, JsnaInputError)
                            else JsnaInputError(f"Publishing failed: {exception}"))
            elif report is not None:
                self._info(f"Published {path.name} as '{schema}' on {connection}: "
                           f"{report.tables} tables, {report.styles} styles, in "
                           f"{report.seconds:.1f} s")
        task = QgsTask.fromFunction(f"JSNA: publish {path.name} to {connection}", run,
                                    on_finished=finished)
        QgsApplication.taskManager().addTask(task)
        self._publishing = task  # kept alive until it ends
        return task

    def open_pack(self, path: str):
        """Load a pack, show the deprivation map, zoom to the place; None on bad input."""
        from .layers.pack import membership_summary, open_pack
        from .layers.themes import apply_theme

        try:
            self.pack = open_pack(path, QgsProject.instance())
            title = apply_theme(self.pack, "deprivation")
        except JsnaInputError as exc:
            self._error(exc)
            return None
        canvas = self.iface.mapCanvas()
        canvas.setExtent(self.pack.extent)
        canvas.refresh()
        short, details = membership_summary(self.pack.layer(schema.HUBS))
        self._info_with_details(f"Opened {self.pack.contents.place}: {short}", details)
        self._status(f"mapped {title}")
        if self.compare_panel is not None and self.compare_panel.isVisible():
            self.show_compare_panel()
        return self.pack

    def _require_pack(self):
        if self.pack is None or self.pack.group is None:
            raise JsnaInputError("Open a data pack first (JSNA Area Profiles ▸ Open data pack…)")
        return self.pack

    def apply_theme(self, theme: str, level: str = schema.LEVEL_SMALL_AREA, **options):
        from .layers.themes import apply_theme

        try:
            title = apply_theme(self._require_pack(), theme, level, **options)
        except JsnaInputError as exc:
            self._error(exc)
            return None
        self.iface.mapCanvas().refresh()
        self._status(f"mapped {title}")
        return title

    def style_dialog(self) -> None:
        from .ui.style_dialog import StyleDialog

        edition = self.pack.contents.edition if self.pack else DEFAULT_EDITION
        dialog = StyleDialog(self.iface.mainWindow(), edition)
        if dialog.exec():
            theme, level, options = dialog.choice()
            self.apply_theme(theme, level, **options)

    # Compare panel -----------------------------------------------------------------------------
    def compare_pack(self):
        """The open pack's comparison data, computed once per pack (file or server schema)."""
        from .core.compare import ComparePack
        from .layers.pack import pack_key

        contents = self._require_pack().contents
        key = pack_key(contents)
        if key not in self._compare_packs:
            self._compare_packs[key] = ComparePack(contents.location)
        return self._compare_packs[key]

    def show_compare_panel(self):
        """Open the compare dock on the open pack, with the choices saved in the project."""
        from .ui.compare_panel import DOCK_WIDTH, STATE_SCOPE, ComparePanel

        try:
            compare = self.compare_pack()
        except JsnaInputError as exc:
            self._error(exc)
            return None
        if self.compare_panel is None:
            self.compare_panel = ComparePanel(self.iface.mainWindow())
            self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.compare_panel)
            window = self.iface.mainWindow()
            window.resizeDocks([self.compare_panel], [min(DOCK_WIDTH, window.width() // 2)],
                               Qt.Orientation.Horizontal)
        if self.compare_panel.compare is not compare or self.compare_panel.loaded is not self.pack:
            self.compare_panel.set_pack(compare, self.pack, self.iface.mapCanvas())
        self.compare_panel.show()
        self.compare_panel.raise_()
        QgsProject.instance().writeEntry(STATE_SCOPE, "compare/open", True)
        return self.compare_panel

    def _project_read(self, *_args) -> None:
        """A project holding a pack group: re-attach the pack, and the panel if it was open."""
        from .layers.pack import PACK_PROPERTY, open_pack
        from .ui.compare_panel import STATE_SCOPE

        project = QgsProject.instance()
        groups = [g for g in project.layerTreeRoot().findGroups(True)
                  if g.customProperty(PACK_PROPERTY)]
        if not groups:
            return
        try:
            self.pack = open_pack(groups[0].customProperty(PACK_PROPERTY), project)
        except JsnaInputError as exc:
            self._error(exc)
            return
        if project.readBoolEntry(STATE_SCOPE, "compare/open", False)[0]:
            self.show_compare_panel()

    def _project_cleared(self) -> None:
        self.pack = None
        if self.compare_panel is not None:
            self.compare_panel.hide()
            self.compare_panel.compare = None

    # Print layouts ------------------------------------------------------------------------------
    def _hub_names(self) -> list[str]:
        return sorted(str(f["name"]) for f in self._require_pack().layer(schema.HUBS).getFeatures())

    def report_map_dialog(self) -> None:
        from .ui.report_map_dialog import ReportMapDialog

        pack = self._require_pack()  # run as an action: _guarded shows the message
        neighbourhoods = sorted(((str(f["code"]), str(f["name"]))
                                 for f in pack.layer(schema.NEIGHBOURHOODS).getFeatures()),
                                key=lambda pair: pair[1].lower())
        dialog = ReportMapDialog(self._hub_names(), neighbourhoods, self.iface.mainWindow(),
                                 pack.contents.edition)
        if dialog.exec():
            self.report_map(dialog.choice())

    def report_map(self, spec, open_designer: bool = True):
        """A report map layout in the project's layout manager, opened in the designer."""
        from .layouts.report_map import report_layout

        self._clear_messages()  # this action's warnings stay with its success
        try:
            layout = report_layout(QgsProject.instance(), self._require_pack(), spec,
                                   add_to_project=True, warn=self._warning)
        except JsnaInputError as exc:
            self._error(exc)
            return None
        if open_designer:
            self.iface.openLayoutDesigner(layout)
        self._info(f"Layout '{layout.name()}' added to the project's layouts", keep_warnings=True)
        return layout

    def hub_export_dialog(self, kind: str) -> None:
        from .ui.hub_export_dialog import HubExportDialog

        pack = self._require_pack()  # run as an action: _guarded shows the message
        dialog = HubExportDialog(kind, self._hub_names(), pack.contents.place,
                                 self.iface.mainWindow(), pack.contents.edition)
        if not dialog.exec():
            return
        chosen = dialog.choice()
        if kind == "atlas":
            self.export_atlas(chosen["theme"], chosen["hub"], chosen["out"], chosen["one_file"],
                              chosen["paper"])
        else:
            from .core.narrative import WrittenOptions

            options = WrittenOptions(*(Path(p) if p else None
                                       for p in (chosen["local_text"], chosen["assets"])))
            self.export_profile(chosen["hub"], chosen["out"], chosen["background"],
                                chosen["fmt"], options)

    def _busy(self, work):
        """Run an export with a wait cursor; bad input becomes a message, never a traceback."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return work()
        except JsnaInputError as exc:
            self._error(exc)
            return None
        finally:
            QApplication.restoreOverrideCursor()

    def export_atlas(self, theme: str, hub: str | None, out: str, one_file: bool = True,
                     paper: tuple = ("A4", "landscape")):
        """Atlas layout added to the project, and exported; returns the files written."""
        from .layouts.atlas import atlas_layout
        from .layouts.export import atlas_files_present, export_atlas
        from .layouts.items import Paper

        def work():
            if not out:
                raise JsnaInputError("Choose where to write the atlas")
            project = QgsProject.instance()
            layout = atlas_layout(project, self._require_pack(), theme, hub, Paper(*paper))
            present = [] if one_file else atlas_files_present(layout, out)
            if present and not self._confirm_replace(present, out):
                return []  # declined: nothing written, and no layout added to the project
            project.layoutManager().addLayout(layout)
            files = export_atlas(layout, Path(out), one_file, overwrite=bool(present))
            self._info(f"Wrote {files[0]}" if len(files) == 1 else
                       f"Wrote {len(files)} PDF files ({files[0].name} …) to {files[0].parent}")
            return files
        return self._busy(work)

    def _confirm_replace(self, present: list, folder: str) -> bool:
        """Ask before an atlas replaces PDFs already in the folder."""
        if len(present) == 1:
            question = f"{present[0].name} is already in {folder}. Replace it?"
        else:
            shown = ", ".join(p.name for p in present[:3]) + (" ..." if len(present) > 3 else "")
            question = f"{len(present)} of these PDFs are already in {folder} ({shown}). " \
                "Replace them?"
        QApplication.restoreOverrideCursor()
        try:
            answer = QMessageBox.question(
                self.iface.mainWindow(), TITLE, question,
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No)
        finally:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        return answer == QMessageBox.StandardButton.Yes

    def export_profile(self, hub: str | None, out: str, background: bool = False,
                       fmt: str = "pdf", options=None):
        """A hub's profile (None: the city's) as a PDF (its layout added to the project) or a
        Word document; with ALL_HUBS, every hub's and the city's into the folder ``out``, one
        after another, with progress in QGIS's task manager and the window redrawn between
        them. ``options``: the council's own text and assets."""
        from qgis.core import QgsApplication, QgsProxyProgressTask

        from .core.compare import ALL_HUBS
        from .layouts.export import export_layout
        from .layouts.profile import every_profile, export_profiles, profile_layout

        def one():
            self._clear_messages()
            target = Path(out) if Path(out).suffix.lower() == f".{fmt}" else \
                Path(f"{out}.{fmt}")
            if fmt == "docx":
                path = export_profiles(QgsProject.instance(), self._require_pack(),
                                       self.compare_pack(), [(hub, target)],
                                       background=background, warn=self._warning,
                                       options=options)[0]
                self._info(f"Wrote {path}", keep_warnings=True)
                return path
            layout = profile_layout(QgsProject.instance(), self._require_pack(),
                                    self.compare_pack(), hub, add_to_project=True,
                                    background=background, warn=self._warning, options=options)
            path = export_layout(layout, target, "pdf", dpi=300)
            self._info(f"Wrote {path}", keep_warnings=True)
            return path

        def every():
            Path(out).mkdir(parents=True, exist_ok=True)
            compare = self.compare_pack()
            targets = every_profile(compare.place, compare.hubs, Path(out), fmt)
            task = QgsProxyProgressTask(f"JSNA profiles of {compare.place}")
            QgsApplication.taskManager().addTask(task)

            def step(done: int, name: str) -> None:
                task.setProxyProgress(100 * done / len(targets))
                self.iface.statusBarIface().showMessage(f"JSNA: {name}'s profile")
                QApplication.processEvents()
            try:
                files = export_profiles(QgsProject.instance(), self._require_pack(), compare,
                                        targets, step=step, background=background,
                                        warn=self._warning, options=options)
            finally:
                task.finalize(True)
            self._info(f"Wrote {len(files)} profiles to {out}")
            return files

        def work():
            if not out:
                raise JsnaInputError("Choose where to write the profile")
            return every() if hub == ALL_HUBS else one()
        return self._busy(work)

    # Your own data ---------------------------------------------------------------------------
    def add_indicator_dialog(self) -> None:
        from .ui.add_indicator_dialog import AddIndicatorDialog

        pack = self._require_pack()  # run as an action: _guarded shows the message
        dialog = AddIndicatorDialog(pack.contents.location, self.iface.mainWindow())
        if dialog.exec():
            self.add_indicator(dialog.spec())

    def add_indicator(self, spec):
        """Add the indicator to the open pack, then reopen the pack so it can be mapped."""
        from .builder.add_indicator import add_indicator

        def work():
            contents = self._require_pack().contents
            self._close_pack()  # QGIS lets go of the file (or the server's new columns show)
            try:
                report = add_indicator(contents.location, spec)
            finally:
                self.open_pack(str(contents.location))
            for warning in report.warnings:
                self.iface.messageBar().pushMessage(TITLE, warning,
                                                    level=Qgis.MessageLevel.Warning, duration=15)
            self._info(f"Added '{spec.title}' to {contents.name}")
            return report
        return self._busy(work)

    def _close_pack(self) -> None:
        """Take the pack's layers out of the project, closing QGIS's hold on the file."""
        project = QgsProject.instance()
        group = self.pack.group
        project.removeMapLayers([layer.id() for layer in self.pack.layers.values()])
        group.parent().removeChildNode(group)
        from .layers.pack import pack_key

        self._compare_packs.pop(pack_key(self.pack.contents), None)
        self.pack = None
