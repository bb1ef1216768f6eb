"""Builds a JSNA data pack (one GeoPackage) from official source files.

Heavy libraries (geopandas, fiona, rasterio, pyproj) are imported here only, never at plugin
start-up.
"""
