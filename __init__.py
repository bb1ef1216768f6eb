"""JSNA Area Profiles: a QGIS plugin for Joint Strategic Needs Assessment maps and profiles."""


def classFactory(iface):  # noqa: N802 - the name QGIS looks for
    """Called by QGIS to create the plugin; imports stay lazy so QGIS starts fast."""
    from .plugin import JsnaProfilesPlugin

    return JsnaProfilesPlugin(iface)
