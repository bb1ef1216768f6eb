"""Domain logic of JSNA Area Profiles: pack schema, indicator catalogue, aggregation.

Nothing in this package imports ``qgis.gui`` or Qt widgets, so it is unit-tested without a
QGIS window and shared by the pack builder, the plugin and the command line.
"""
