"""Loading a data pack into a QGIS project and styling its layers (PyQGIS core only)."""
