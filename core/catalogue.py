"""The indicator catalogue: what each indicator means, where it comes from, how it aggregates.

Every figure the plugin shows or prints carries its period, source and licence from here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from . import schema as s

OGL = "Open Government Licence v3.0"
OPL = "Open Parliament Licence v3.0"


@dataclass(frozen=True)
class Source:
    """A publication that indicators come from, with the words a printed map must carry."""

    key: str
    title: str
    publisher: str
    licence: str
    attribution: str


SOURCES = {
    src.key: src
    for src in (
        Source(
            "iod2019", "English Indices of Deprivation 2019", "MHCLG", OGL,
            "English Indices of Deprivation 2019, MHCLG, Open Government Licence v3.0",
        ),
        Source(
            "iod2019_msoa", "IMD 2019 aggregated to MSOA 2011 (R package IMD, humaniverse)",
            "MHCLG data, aggregated by the humaniverse/IMD package", OGL,
            "English Indices of Deprivation 2019, MHCLG, Open Government Licence v3.0; "
            "MSOA aggregation by the humaniverse IMD R package",
        ),
        Source(
            "fuel_poverty_2020", "Sub-regional fuel poverty in England, 2022 (2020 data)", "BEIS",
            OGL, "Sub-regional fuel poverty 2022 (2020 data), BEIS, Open Government Licence v3.0",
        ),
        Source(
            "life_expectancy_msoa", "Life expectancy for 2011 MSOAs in England, 2016 to 2020 (REQ3292)",
            "ONS", OGL, "Source: Office for National Statistics licensed under the Open Government Licence v3.0",
        ),
        Source(
            "census2011", "2011 Census (QS405EW, QS402EW, QS116EW)", "ONS", OGL,
            "Source: Office for National Statistics, 2011 Census, licensed under the Open Government Licence v3.0",
        ),
        Source(
            "aurn", "Automatic Urban and Rural Network annual means", "Defra", OGL,
            "Defra AURN data © Crown copyright, Open Government Licence v3.0 (annual means "
            "computed by a third party, not LAQM-reported)",
        ),
        Source(
            "defra_background", "Background pollutant concentration maps (1 km)", "Defra", OGL,
            "Defra background maps © Crown copyright, Open Government Licence v3.0",
        ),
        Source(
            "boundaries", "LSOA and MSOA (2011) boundaries, super generalised clipped", "ONS", OGL,
            "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
            "Contains OS data © Crown copyright and database right",
        ),
        Source(
            "hcl_names", "MSOA Names v1.14", "House of Commons Library", OPL,
            "MSOA names: House of Commons Library, Open Parliament Licence v3.0",
        ),
    )
}


@dataclass(frozen=True)
class Indicator:
    """One row of the catalogue."""

    indicator_id: str
    title: str
    domain: str
    unit: str
    polarity: str
    value_type: str
    aggregation: str
    period: str
    levels: tuple[str, ...]
    source_key: str
    description: str = ""
    own_source: Source | None = None  # for indicators a user added to a pack

    @property
    def source(self) -> Source:
        return self.own_source or SOURCES[self.source_key]

    def as_row(self) -> dict:
        """The catalogue-table row, with source, licence and attribution spelled out."""
        row = asdict(self)
        row.pop("source_key")
        row.pop("own_source")
        row["levels"] = ",".join(self.levels)
        row["source"] = f"{self.source.publisher}, {self.source.title}"
        row["licence"] = self.source.licence
        row["attribution"] = self.source.attribution
        return row


SA, NB, HUB, CITY, ENG = (s.LEVEL_SMALL_AREA, s.LEVEL_NEIGHBOURHOOD, s.LEVEL_HUB, s.LEVEL_CITY,
                         s.LEVEL_ENGLAND)
ALL_LOCAL = (SA, NB, HUB, CITY)
ABOVE_SA = (NB, HUB, CITY)
DEMOG, PROSPECTS, HOUSING, HEALTH = s.DOMAINS
HIGH, LOW, NONE = s.POLARITY_HIGH_GOOD, s.POLARITY_LOW_GOOD, s.POLARITY_NONE

# The seven IoD 2019 domains: (id stem, File 2 heading, JSNA domain).
IOD_DOMAINS = (
    ("income", "Income", PROSPECTS),
    ("employment", "Employment", PROSPECTS),
    ("education", "Education, Skills and Training", PROSPECTS),
    ("health", "Health Deprivation and Disability", HEALTH),
    ("crime", "Crime", DEMOG),
    ("barriers", "Barriers to Housing and Services", HOUSING),
    ("living_environment", "Living Environment", HOUSING),
)


def _iod_rank_and_decile(stem: str, name: str, domain: str) -> list[Indicator]:
    return [
        Indicator(f"{stem}_rank", f"{name} rank (1 = most deprived in England)", domain,
                  "rank of 32,844", HIGH, "rank", s.AGG_NONE, "2019", (SA,), "iod2019"),
        Indicator(f"{stem}_decile", f"{name} decile (1 = most deprived 10% in England)", domain,
                  "decile", HIGH, "decile", s.AGG_NONE, "2019", (SA,), "iod2019"),
    ]


def _iod_proportion(indicator_id: str, title: str, domain: str, unit: str, period: str,
                    description: str, levels: tuple[str, ...] = ALL_LOCAL) -> Indicator:
    """An IoD underlying indicator without counts: published per small area, averaged above."""
    return Indicator(indicator_id, title, domain, unit, LOW, "score", s.AGG_POP_WEIGHTED,
                     period, levels, "iod2019", description)


def _build_catalogue() -> tuple[Indicator, ...]:
    rows: list[Indicator] = _iod_rank_and_decile("imd", "Index of Multiple Deprivation", DEMOG)
    for stem, name, domain in IOD_DOMAINS:
        rows += _iod_rank_and_decile(stem, f"{name} domain", domain)
    rows += [
        Indicator("population", "Resident population (mid-2015, excluding prisoners)", DEMOG,
                  "people", NONE, "count", s.AGG_COUNT_SUM, "mid-2015", ALL_LOCAL, "iod2019"),
        Indicator("pop_most_deprived_10pct",
                  "Residents living in England's 10% most deprived small areas (IMD 2019)", DEMOG,
                  "%", LOW, "proportion", s.AGG_RATIO_OF_SUMS, "2019", ABOVE_SA, "iod2019",
                  "Population of LSOAs in IMD decile 1 over total population (mid-2015)."),
        Indicator("pop_most_deprived_20pct",
                  "Residents living in England's 20% most deprived small areas (IMD 2019)", DEMOG,
                  "%", LOW, "proportion", s.AGG_RATIO_OF_SUMS, "2019", ABOVE_SA, "iod2019",
                  "Population of LSOAs in IMD deciles 1-2 over total population (mid-2015)."),
        Indicator("imd_score_msoa", "IMD 2019 average score", DEMOG, "score", LOW, "score",
                  s.AGG_POP_WEIGHTED, "2019", ABOVE_SA, "iod2019_msoa",
                  "Population-weighted mean of LSOA IMD scores, as published for MSOAs."),
        Indicator("imd_extent_msoa", "IMD 2019 extent", DEMOG, "% of population", LOW,
                  "proportion", s.AGG_POP_WEIGHTED, "2019", ABOVE_SA, "iod2019_msoa",
                  "Share of the population in England's most deprived 30% of LSOAs, weighted "
                  "(full weight in the most deprived 10%, tapering to zero at 30%). Published as "
                  "a proportion; shown here x100."),
        Indicator("income_deprivation", "Income deprivation (IoD 2019)", PROSPECTS, "%", LOW,
                  "proportion", s.AGG_RATIO_OF_SUMS, "2015-16", ALL_LOCAL, "iod2019",
                  "People in income-deprived families over total population (mid-2015)."),
        Indicator("idaci", "Income deprivation affecting children (IDACI)", PROSPECTS, "%", LOW,
                  "proportion", s.AGG_RATIO_OF_SUMS, "2015-16", ALL_LOCAL, "iod2019",
                  "Children aged 0-15 in income-deprived families over children aged 0-15."),
        Indicator("idaopi", "Income deprivation affecting older people (IDAOPI)", PROSPECTS, "%",
                  LOW, "proportion", s.AGG_RATIO_OF_SUMS, "2015-16", ALL_LOCAL, "iod2019",
                  "People aged 60+ in income-deprived families over people aged 60+."),
        Indicator("employment_deprivation", "Employment deprivation (IoD 2019)", PROSPECTS, "%",
                  LOW, "proportion", s.AGG_RATIO_OF_SUMS, "2015-16", ALL_LOCAL, "iod2019",
                  "Working-age people involuntarily out of work over working-age population."),
        _iod_proportion("staying_on_post16", "Not staying on in education post-16", PROSPECTS,
                        "proportion (0-1)", "2010-12", "IoD underlying indicator."),
        _iod_proportion("entry_to_higher_education", "Entry to higher education indicator",
                        PROSPECTS, "proportion (0-1)", "2013-17", "IoD underlying indicator: "
                        "modelled rate of young people not entering higher education."),
        _iod_proportion("adult_skills", "Adults with no or low qualifications or English "
                        "proficiency", PROSPECTS, "proportion (0-1)", "2011", "Census 2011 based."),
        _iod_proportion("years_of_potential_life_lost", "Years of potential life lost", HEALTH,
                        "indirectly standardised ratio", "2013-17", "IoD Health domain."),
        _iod_proportion("comparative_illness_disability", "Comparative illness and disability "
                        "ratio", HEALTH, "indirectly standardised ratio", "2016", "IoD Health."),
        _iod_proportion("acute_morbidity", "Acute morbidity (emergency admissions)", HEALTH,
                        "indirectly standardised ratio", "2015-17", "IoD Health domain."),
        _iod_proportion("mood_anxiety", "Mood and anxiety disorders", HEALTH, "score",
                        "2015-17", "IoD Health domain composite; higher is worse."),
        _iod_proportion("distance_post_office", "Road distance to a post office", HOUSING, "km",
                        "2019", "IoD Geographical barriers."),
        _iod_proportion("distance_primary_school", "Road distance to a primary school", HOUSING,
                        "km", "2019", "IoD Geographical barriers."),
        _iod_proportion("distance_general_store", "Road distance to a general store or "
                        "supermarket", HOUSING, "km", "2019", "IoD Geographical barriers."),
        _iod_proportion("distance_gp", "Road distance to a GP surgery", HOUSING, "km", "2019",
                        "IoD Geographical barriers."),
        _iod_proportion("household_overcrowding", "Household overcrowding", HOUSING,
                        "proportion (0-1)", "2011", "Census 2011 based (IoD Wider barriers)."),
        Indicator("homelessness_rate", "Homelessness (acceptances per 1,000 households)",
                  HOUSING, "per 1,000 households", LOW, "rate", s.AGG_NONE, "2015-16 to 2017-18",
                  (CITY,), "iod2019", "Published for the local authority only."),
        _iod_proportion("housing_affordability", "Housing affordability indicator", HOUSING,
                        "score", "2016", "IoD Wider barriers; higher is less affordable."),
        _iod_proportion("housing_poor_condition", "Housing in poor condition", HOUSING,
                        "proportion (0-1)", "2015", "Modelled share of homes failing the "
                        "Decent Homes standard."),
        _iod_proportion("no_central_heating", "Houses without central heating", HOUSING,
                        "proportion (0-1)", "2011", "Census 2011 based."),
        _iod_proportion("road_traffic_accidents", "Road traffic accidents involving pedestrians "
                        "and cyclists", HOUSING, "rate", "2015-17", "IoD Outdoors sub-domain."),
        _iod_proportion("air_quality", "Air quality indicator (IoD 2019)", HOUSING,
                        "index (sum of ratios to limit values)", "2016",
                        "Modelled concentrations of NO2, particulates, SO2 and benzene on a 1 km "
                        "grid, each divided by its limit value and summed; higher is worse air."),
        _iod_proportion("air_quality_no2", "Air quality: NO2 component", HOUSING,
                        "ratio to limit value", "2016", "Component of the IoD air quality indicator."),
        _iod_proportion("air_quality_particulates", "Air quality: particulates component", HOUSING,
                        "ratio to limit value", "2016", "Component of the IoD air quality indicator."),
        _iod_proportion("air_quality_so2", "Air quality: sulphur dioxide component", HOUSING,
                        "ratio to limit value", "2016", "Component of the IoD air quality indicator."),
        _iod_proportion("air_quality_benzene", "Air quality: benzene component", HOUSING,
                        "ratio to limit value", "2016", "Component of the IoD air quality indicator."),
        Indicator("households_2020", "Households (fuel poverty base)", HOUSING, "households", NONE,
                  "count", s.AGG_COUNT_SUM, "2020", ALL_LOCAL + (ENG,), "fuel_poverty_2020"),
        Indicator("fuel_poor_households", "Households in fuel poverty", HOUSING, "households", LOW,
                  "count", s.AGG_COUNT_SUM, "2020", ALL_LOCAL + (ENG,), "fuel_poverty_2020",
                  "Low Income Low Energy Efficiency (LILEE) measure."),
        Indicator("fuel_poverty", "Households in fuel poverty", HOUSING, "%", LOW, "proportion",
                  s.AGG_RATIO_OF_SUMS, "2020", ALL_LOCAL + (ENG,), "fuel_poverty_2020",
                  "Low Income Low Energy Efficiency (LILEE) measure."),
    ]
    for sex in ("male", "female", "persons"):
        rows.append(Indicator(
            f"life_expectancy_{sex}", f"Life expectancy at birth ({sex})", HEALTH, "years", HIGH,
            "life expectancy", s.AGG_NONE, "2016-20", (NB,), "life_expectancy_msoa",
            "Published for MSOAs with 95% confidence limits; not combined into larger areas."))
    rows += [
        Indicator("tenure_owned", "Households owning their home", HOUSING, "%", NONE,
                  "proportion", s.AGG_RATIO_OF_SUMS, "2011", ABOVE_SA, "census2011", "QS405EW."),
        Indicator("tenure_social_rented", "Households renting socially", HOUSING, "%", NONE,
                  "proportion", s.AGG_RATIO_OF_SUMS, "2011", ABOVE_SA, "census2011", "QS405EW."),
        Indicator("tenure_private_rented", "Households renting privately", HOUSING, "%", NONE,
                  "proportion", s.AGG_RATIO_OF_SUMS, "2011", ABOVE_SA, "census2011", "QS405EW."),
        Indicator("flats", "Households living in a flat, maisonette or apartment", HOUSING, "%",
                  NONE, "proportion", s.AGG_RATIO_OF_SUMS, "2011", ABOVE_SA, "census2011",
                  "QS402EW."),
        Indicator("one_person_households", "One-person households", DEMOG, "%", NONE,
                  "proportion", s.AGG_RATIO_OF_SUMS, "2011", ABOVE_SA, "census2011", "QS116EW."),
    ]
    return tuple(rows)


CATALOGUE: tuple[Indicator, ...] = _build_catalogue()
BY_ID: dict[str, Indicator] = {ind.indicator_id: ind for ind in CATALOGUE}


def register_pack_indicators(rows: list[dict]) -> list[Indicator]:
    """Make a pack's own indicators (added from users' tables) known to maps and layouts.

    Built-in ids keep their definitions; a later pack's indicator with the same id replaces an
    earlier pack's.
    """
    added = []
    for row in rows:
        if row["indicator_id"] in {i.indicator_id for i in CATALOGUE}:
            continue
        source = Source(row["indicator_id"], row.get("source") or "", row.get("source") or "",
                        row.get("licence") or "", row.get("attribution") or "")
        indicator = Indicator(
            row["indicator_id"], row["title"], row.get("domain") or "", row.get("unit") or "",
            row.get("polarity") or s.POLARITY_NONE, row.get("value_type") or "score",
            row.get("aggregation") or s.AGG_NONE, row.get("period") or "",
            tuple(x for x in (row.get("levels") or "").split(",") if x), row["indicator_id"],
            row.get("description") or "", source)
        BY_ID[indicator.indicator_id] = indicator
        added.append(indicator)
    return added
