"""Names of everything inside a JSNA data pack (one GeoPackage), shared by writer and reader."""

from __future__ import annotations

PACK_CRS = "EPSG:27700"
PACK_ELLIPSOID = "EPSG:7001"  # Airy 1830, the ellipsoid of British National Grid
PACK_FORMAT_VERSION = "1"

# Vector layers (GeoPackage tables with geometry).
SMALL_AREAS = "small_areas"
NEIGHBOURHOODS = "neighbourhoods"
HUBS = "hubs"
CITY = "city"
AQMA = "aqma"
MONITORING_SITES = "monitoring_sites"
SERVICES = "services"  # GP practices and pharmacies
SCHOOLS = "schools"  # GIAS establishments
# Attribute-only tables.
CATALOGUE = "indicator_catalogue"
VALUES = "indicator_values"
HUB_LOOKUP = "hub_lookup"
# Each neighbourhood's share of residents in each hub it lies in (neighbourhood_code, hub,
# share 0-1, small_areas): hub membership is held per small area, so a neighbourhood can be split.
HUB_SHARES = "hub_shares"
# Earlier periods' values of the pack's indicators (a 2025 pack's 2011/2019 figures), for trends.
TRENDS = "indicator_trends"
# A 2025 pack's ONS LSOA/MSOA 2011 -> 2021 lookup (old_code, new_code, change_code: U S M X, C
# for a recoded MSOA), for users' tables and hub lookups written for 2011 areas.
AREA_CHANGES = "area_changes"
PACK_INFO = "pack_info"
# The place's postcodes (Code-Point Open: postcode without spaces, x, y in British National
# Grid), so that a council's own list of places can be mapped (community assets).
POSTCODES = "postcodes"

REQUIRED_LAYERS = (SMALL_AREAS, NEIGHBOURHOODS, HUBS, CITY, CATALOGUE, VALUES, PACK_INFO)
BACKGROUND_GRID_PREFIX = "background_"
# A grid table's whole name: background_<pollutant>_<year> (also its .qml file name on export).
BACKGROUND_GRID_NAME = r"^background_[a-z0-9]{1,12}_[0-9]{4}$"

# Geography levels used in the values table.
LEVEL_SMALL_AREA = "small_area"
LEVEL_NEIGHBOURHOOD = "neighbourhood"
LEVEL_HUB = "hub"
LEVEL_CITY = "city"
LEVEL_ENGLAND = "england"
# Census 2011 tables published with England and Wales rows only: shown as such, never as England.
LEVEL_ENGLAND_WALES = "england_and_wales"
LEVELS = (LEVEL_SMALL_AREA, LEVEL_NEIGHBOURHOOD, LEVEL_HUB, LEVEL_CITY, LEVEL_ENGLAND,
          LEVEL_ENGLAND_WALES)
ENGLAND_CODE = "E92000001"
ENGLAND_WALES_CODE = "K04000001"
NATIONAL_NAMES = {ENGLAND_CODE: "England", ENGLAND_WALES_CODE: "England and Wales"}
LEVEL_LAYERS = {
    LEVEL_SMALL_AREA: SMALL_AREAS,
    LEVEL_NEIGHBOURHOOD: NEIGHBOURHOODS,
    LEVEL_HUB: HUBS,
    LEVEL_CITY: CITY,
}

# JSNA domains, as Coventry's JSNA groups its indicators.
DOMAINS = (
    "Demographics and Communities",
    "Prospects",
    "Housing and Environment",
    "Health and Wellbeing",
)

POLARITY_HIGH_GOOD = "high is good"
POLARITY_LOW_GOOD = "low is good"
POLARITY_NONE = "no judgement"
POLARITIES = (POLARITY_HIGH_GOOD, POLARITY_LOW_GOOD, POLARITY_NONE)

# How an indicator reaches levels above the one its source publishes.
AGG_COUNT_SUM = "sum of counts"
AGG_RATIO_OF_SUMS = "ratio of summed numerators and denominators"
AGG_POP_WEIGHTED = "population-weighted mean (weights: the pack's population indicator)"
AGG_NONE = "not aggregated"
AGGREGATIONS = (AGG_COUNT_SUM, AGG_RATIO_OF_SUMS, AGG_POP_WEIGHTED, AGG_NONE)

VALUE_COLUMNS = (
    "area_code", "level", "indicator_id", "period", "value",
    "numerator", "denominator", "lower95", "upper95", "note",
)
CATALOGUE_COLUMNS = (
    "indicator_id", "title", "domain", "unit", "polarity", "value_type", "aggregation",
    "period", "levels", "source", "licence", "attribution", "description", "topic", "chart",
)

# Units an indicator may have: the catalogue formats and scales figures by them.
UNITS = (
    "%", "% of population", "people", "households", "years", "km", "score", "rate", "decile",
    "rank of 32,844", "rank of 33,755", "proportion (0-1)", "indirectly standardised ratio", "per 1,000 households",
    "index (sum of ratios to limit values)", "ratio to limit value", "residents per hectare",
    "practices", "pharmacies", "services", "per 1,000 residents at risk",
    "per 1,000 properties at risk", "patients per GP", "small areas", "decile change",
    "rank change", "schools", "establishments", "pupils",
)

NOT_ASSIGNED = "Not assigned"

# The comparison (compare core, exports, the command line and Processing): what to compare
# with, and one output row per area and indicator.
COMPARATORS = ("city", "hub", "england")
COMPARE_LEVELS = ("neighbourhood", "hub")  # a hub's neighbourhoods, or the hubs side by side
COMPARISON_COLUMNS = (
    "area_code", "area_name", "level", "indicator_id", "indicator", "period", "value", "unit",
    "lower95", "upper95", "numerator", "denominator", "comparator", "comparator_value",
    "significance", "rank", "rank_of", "method", "note", "source", "licence",
)

# The map themes a JSNA needs, each with the field it maps ("indicator" maps any other), and
# the profile chapter (JSNA domain) its map belongs to.
MAP_THEME_FIELDS = {
    "deprivation": "imd_decile", "fuel_poverty": "fuel_poverty", "air_quality": "air_quality",
    "population_density": "residents_per_hectare", "ethnicity": "ethnic_not_white_british",
    "no_qualifications": "no_qualifications", "long_term_illness": "limiting_long_term_illness",
    "gp_access": "gp_distance", "crime": "crime_decile",
    "deprivation_change": "imd_decile_change",
}
THEME_CHAPTERS = {
    "deprivation": DOMAINS[0], "population_density": DOMAINS[0], "ethnicity": DOMAINS[0],
    "crime": DOMAINS[0], "no_qualifications": DOMAINS[1], "fuel_poverty": DOMAINS[2],
    "air_quality": DOMAINS[2], "gp_access": DOMAINS[2], "long_term_illness": DOMAINS[3],
}
