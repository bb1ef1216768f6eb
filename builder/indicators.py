"""Turning each official source into long indicator rows at the level it is published."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..core import catalogue
from .sources import (
    BuildReport,
    PlaceConfig,
    check_lsoa_2011,
    read_table,
    report_unmatched,
    source_path,
    to_number,
)

POPULATION = "Total population: mid 2015 (excluding prisoners)"
CHILDREN = "Dependent Children aged 0-15: mid 2015 (excluding prisoners)"
OLDER = "Older population aged 60 and over: mid 2015 (excluding prisoners)"
WORKING_AGE = ("Working age population 18-59/64: for use with Employment Deprivation Domain "
               "(excluding prisoners)")
IOD_CODE = "LSOA code (2011)"
IOD_LA = "Local Authority District code (2019)"
IMD_NAME = "Index of Multiple Deprivation (IMD)"

# IoD File 8 (underlying indicators, snake_case headers) without counts: indicator id -> column.
UNDERLYING_SCORES = {
    "staying_on_post16": "staying_on_in_education_post_16_indicator",
    "entry_to_higher_education": "entry_to_higher_education_indicator",
    "adult_skills": "adult_skills_and_english_language_proficiency_indicator",
    "years_of_potential_life_lost": "years_of_potential_life_lost_indicator",
    "comparative_illness_disability": "comparative_illness_and_disability_ratio_indicator",
    "acute_morbidity": "acute_morbidity_indicator",
    "mood_anxiety": "mood_and_anxiety_disorders_indicator",
    "distance_post_office": "road_distance_to_a_post_office_indicator_km",
    "distance_primary_school": "road_distance_to_a_primary_school_indicator_km",
    "distance_general_store": "road_distance_to_general_store_or_supermarket_indicator_km",
    "distance_gp": "road_distance_to_a_gp_surgery_indicator_km",
    "household_overcrowding": "household_overcrowding_indicator",
    "housing_affordability": "housing_affordability_indicator",
    "housing_poor_condition": "housing_in_poor_condition_indicator",
    "no_central_heating": "houses_without_central_heating_indicator",
    "road_traffic_accidents": "road_traffic_accidents_indicator",
    "air_quality": "air_quality_indicator",
    "air_quality_no2": "nitrogen_dioxide_component_of_air_quality_indicator",
    "air_quality_particulates": "particulates_component_of_air_quality_indicator",
    "air_quality_so2": "sulphur_dioxide_component_of_air_quality_indicator",
    "air_quality_benzene": "benzene_component_of_air_quality_indicator",
}
# IoD File 8 numerators and the File 6 denominator each one is a rate of.
UNDERLYING_RATES = {
    "income_deprivation": ("income_domain_numerator", POPULATION),
    "idaci": ("income_deprivation_affecting_children_index_idaci_numerator", CHILDREN),
    "idaopi": ("income_deprivation_affecting_older_people_index_idaopi_numerator", OLDER),
    "employment_deprivation": ("employment_domain_numerator", WORKING_AGE),
}
HOMELESSNESS = "homelessness_indicator_rate_per_1000_households"

CENSUS_CODE = "geography code"
CENSUS_SHARES = {  # indicator id -> (source role, numerator column, denominator column)
    "tenure_owned": ("census_tenure", "Tenure: Owned: Total; measures: Value",
                     "Tenure: All categories: Tenure; measures: Value"),
    "tenure_social_rented": ("census_tenure", "Tenure: Social rented: Total; measures: Value",
                             "Tenure: All categories: Tenure; measures: Value"),
    "tenure_private_rented": ("census_tenure", "Tenure: Private rented: Total; measures: Value",
                              "Tenure: All categories: Tenure; measures: Value"),
    "flats": ("census_accommodation",
              "Dwelling Type: Unshared dwelling: Flat, maisonette or apartment: Total; measures: Value",
              "Dwelling Type: All categories: Accommodation type; measures: Value"),
    "one_person_households": ("census_household_type",
                              "Household Type: One person household; measures: Value",
                              "Household Type: All categories: Household type; measures: Value"),
}

FP_CODE, FP_LA = "LSOA Code", "LA Code"
FP_HOUSEHOLDS = "Number of households"
FP_POOR = "Number of households in fuel poverty"
FP_AREA_CODE = "Area Codes"
ENGLAND_CODE = "E92000001"

LE_CODE, LE_SEX = "Code", "Sex"
LE_VALUE = "Life Expectancy at birth (in years)"
LE_LOWER, LE_UPPER = "Lower 95% confidence interval", "Upper 95% confidence interval"
LE_DEATHS, LE_POPULATION = "No of Deaths", "Population"
LE_SEXES = {"Males": "male", "Females": "female", "Persons": "persons"}


def rows(indicator_id: str, codes, values, numerator=None, denominator=None, lower=None,
         upper=None) -> pd.DataFrame:
    """Long rows for one indicator; missing parts stay NaN."""
    frame = pd.DataFrame({"area_code": list(codes), "value": list(values)})
    for name, part in (("numerator", numerator), ("denominator", denominator),
                       ("lower95", lower), ("upper95", upper)):
        frame[name] = float("nan") if part is None else list(part)
    frame["indicator_id"] = indicator_id
    return frame


def _filtered(frame: pd.DataFrame, code_column: str, la_column: str | None, la_code: str,
              known: set, path: Path, report: BuildReport) -> pd.DataFrame:
    """Keep the authority's rows (by its LA column when the source has one), report the rest.

    A place that is England itself keeps every row."""
    if la_column and la_column in frame.columns and la_code != ENGLAND_CODE:
        frame = frame[frame[la_column].str.strip() == la_code]
    report_unmatched(frame[code_column], known, path, report)
    return frame[frame[code_column].isin(known)].reset_index(drop=True)


def iod_small_area(sources: Path, config: PlaceConfig, lsoas: set,
                   report: BuildReport) -> tuple[list[pd.DataFrame], pd.DataFrame]:
    """IoD ranks, deciles, underlying indicators; returns rows and File 6 denominators."""
    out: list[pd.DataFrame] = []
    path = source_path(sources, config, "iod_population")
    pop = read_table(path, [POPULATION, CHILDREN, OLDER, WORKING_AGE], IOD_CODE)
    check_lsoa_2011(pop[IOD_CODE], path)
    pop = _filtered(pop, IOD_CODE, IOD_LA, config.la_code, lsoas, path, report)
    denominators = pd.DataFrame(
        {col: to_number(pop, col, IOD_CODE, path, report).values
         for col in (POPULATION, CHILDREN, OLDER, WORKING_AGE)}, index=pop[IOD_CODE])
    out.append(rows("population", denominators.index, denominators[POPULATION],
                    denominators[POPULATION]))

    path = source_path(sources, config, "iod_domains")
    names = [(stem, name) for stem, name, _ in catalogue.IOD_DOMAINS]
    columns = []
    for _, name in [("imd", IMD_NAME)] + names:
        columns += [f"{name} Rank (where 1 is most deprived)",
                    f"{name} Decile (where 1 is most deprived 10% of LSOAs)"]
    domains = read_table(path, columns, IOD_CODE)
    check_lsoa_2011(domains[IOD_CODE], path)
    domains = _filtered(domains, IOD_CODE, IOD_LA, config.la_code, lsoas, path, report)
    for stem, name in [("imd", IMD_NAME)] + names:
        for kind, column in (("rank", f"{name} Rank (where 1 is most deprived)"),
                             ("decile", f"{name} Decile (where 1 is most deprived 10% of LSOAs)")):
            out.append(rows(f"{stem}_{kind}", domains[IOD_CODE],
                            to_number(domains, column, IOD_CODE, path, report)))

    imd_decile = pd.Series(
        to_number(domains, f"{IMD_NAME} Decile (where 1 is most deprived 10% of LSOAs)",
                  IOD_CODE, path, report).values, index=domains[IOD_CODE])
    people = denominators[POPULATION].reindex(imd_decile.index)
    for indicator_id, worst in (("pop_most_deprived_10pct", 1), ("pop_most_deprived_20pct", 2)):
        out.append(rows(indicator_id, people.index, [float("nan")] * len(people),
                        people.where(imd_decile <= worst, 0), people))

    path = source_path(sources, config, "iod_underlying")
    code = "lsoa11_code"
    wanted = list(UNDERLYING_SCORES.values()) + [n for n, _ in UNDERLYING_RATES.values()]
    underlying = read_table(path, wanted + [HOMELESSNESS], code)
    check_lsoa_2011(underlying[code], path)
    underlying = _filtered(underlying, code, None, config.la_code, lsoas, path, report)
    for indicator_id, column in UNDERLYING_SCORES.items():
        out.append(rows(indicator_id, underlying[code],
                        to_number(underlying, column, code, path, report)))
    for indicator_id, (column, denominator_column) in UNDERLYING_RATES.items():
        numerator = pd.Series(to_number(underlying, column, code, path, report).values,
                              index=underlying[code])
        denominator = denominators[denominator_column].reindex(numerator.index)
        out.append(rows(indicator_id, numerator.index, numerator / denominator * 100,
                        numerator, denominator.where(numerator.notna())))
    homelessness = to_number(underlying, HOMELESSNESS, code, path, report).dropna().unique()
    if len(homelessness) == 1:  # published for the authority, repeated on every LSOA
        out.append(rows("homelessness_rate", [config.la_code], homelessness))
    return out, denominators


def imd_msoa(sources: Path, config: PlaceConfig, msoas: set, report: BuildReport) -> list:
    path = source_path(sources, config, "imd_msoa")
    code = "msoa11_code"
    frame = _filtered(read_table(path, ["Score", "Extent"], code), code, None, config.la_code,
                      msoas, path, report)
    return [rows("imd_score_msoa", frame[code], to_number(frame, "Score", code, path, report)),
            rows("imd_extent_msoa", frame[code],
                 to_number(frame, "Extent", code, path, report) * 100)]


def fuel_poverty(sources: Path, config: PlaceConfig, lsoas: set,
                 report: BuildReport) -> tuple[list[pd.DataFrame], float | None]:
    """Fuel poverty by LSOA, England's row; also the authority's published percentage."""
    path = source_path(sources, config, "fuel_poverty_lsoa")
    frame = read_table(path, [FP_HOUSEHOLDS, FP_POOR], FP_CODE)
    check_lsoa_2011(frame[FP_CODE], path)
    frame = _filtered(frame, FP_CODE, FP_LA, config.la_code, lsoas, path, report)
    households = to_number(frame, FP_HOUSEHOLDS, FP_CODE, path, report)
    poor = to_number(frame, FP_POOR, FP_CODE, path, report)
    out = [rows("households_2020", frame[FP_CODE], households),
           rows("fuel_poor_households", frame[FP_CODE], poor),
           rows("fuel_poverty", frame[FP_CODE], poor / households * 100, poor, households)]

    path = source_path(sources, config, "fuel_poverty_areas")
    areas = read_table(path, [FP_HOUSEHOLDS, FP_POOR], FP_AREA_CODE)
    households = pd.Series(to_number(areas, FP_HOUSEHOLDS, FP_AREA_CODE, path, report).values,
                           index=areas[FP_AREA_CODE])
    poor = pd.Series(to_number(areas, FP_POOR, FP_AREA_CODE, path, report).values,
                     index=areas[FP_AREA_CODE])
    published = None
    if config.la_code in poor.index:
        published = poor[config.la_code] / households[config.la_code] * 100
    if ENGLAND_CODE in poor.index:
        england = [ENGLAND_CODE]
        out += [rows("households_2020", england, [households[ENGLAND_CODE]]),
                rows("fuel_poor_households", england, [poor[ENGLAND_CODE]]),
                rows("fuel_poverty", england, [poor[ENGLAND_CODE] / households[ENGLAND_CODE] * 100],
                     [poor[ENGLAND_CODE]], [households[ENGLAND_CODE]])]
    else:
        report.warn(f"{path.name}: no England row ({ENGLAND_CODE}); no England comparator")
    return out, published


def life_expectancy(sources: Path, config: PlaceConfig, msoas: set, report: BuildReport) -> list:
    path = source_path(sources, config, "life_expectancy")
    frame = read_table(path, [LE_SEX, LE_VALUE, LE_LOWER, LE_UPPER, LE_DEATHS, LE_POPULATION],
                       LE_CODE, unique_by=(LE_SEX,))
    frame = _filtered(frame, LE_CODE, None, config.la_code, msoas, path, report)
    out = []
    for sex, stem in LE_SEXES.items():
        part = frame[frame[LE_SEX] == sex].reset_index(drop=True)
        number = {c: to_number(part, c, LE_CODE, path, report)
                  for c in (LE_VALUE, LE_LOWER, LE_UPPER, LE_DEATHS, LE_POPULATION)}
        out.append(rows(f"life_expectancy_{stem}", part[LE_CODE], number[LE_VALUE],
                        number[LE_DEATHS], number[LE_POPULATION], number[LE_LOWER],
                        number[LE_UPPER]))
    return out


def census(sources: Path, config: PlaceConfig, msoas: set, report: BuildReport) -> list:
    out = []
    tables: dict[str, pd.DataFrame] = {}
    for indicator_id, (role, numerator_column, denominator_column) in CENSUS_SHARES.items():
        path = source_path(sources, config, role)
        if role not in tables:
            columns = [c for r, c1, c2 in CENSUS_SHARES.values() if r == role for c in (c1, c2)]
            tables[role] = _filtered(read_table(path, columns, CENSUS_CODE), CENSUS_CODE, None,
                                     config.la_code, msoas, path, report)
        frame = tables[role]
        numerator = to_number(frame, numerator_column, CENSUS_CODE, path, report)
        denominator = to_number(frame, denominator_column, CENSUS_CODE, path, report)
        out.append(rows(indicator_id, frame[CENSUS_CODE], numerator / denominator * 100,
                        numerator, denominator))
    return out
