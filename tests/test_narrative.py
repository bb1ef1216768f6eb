"""The written profile's sentences: each rule on a constructed pack, then every figure of the
real Coventry profiles traced back to the pack.

The constructed pack is SYNTHETIC: made-up places ("Testford", hubs "Hub A".."Hub H") and
numbers chosen so that each rule's outcome is known; no figure in it is real data.
"""

from __future__ import annotations

import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from jsna_profiles.core import schema as s
from jsna_profiles.core.assets import place_assets, read_assets
from jsna_profiles.core.compare import ComparePack
from jsna_profiles.core.errors import JsnaInputError
from jsna_profiles.core.formatting import format_value
from jsna_profiles.core.narrative import (
    TEMPLATES_FILE,
    Templates,
    local_text,
    markdown_blocks,
    short_source,
    write_narrative,
)

CITY = "E08000099"
HUBS = [f"Hub {c}" for c in "ABCDEFGH"]
SOURCE = "Made-up Office, Synthetic statistics (test file)"
CATALOGUE = [  # id, title, domain, topic, unit, polarity, value_type, period
    ("worse_share", "Households in made-up hardship", "Housing and Environment", "Hardship",
     "%", "low is good", "proportion", "2022"),
    ("similar_share", "Residents in made-up condition", "Housing and Environment", "Hardship",
     "%", "low is good", "proportion", "2022"),
    ("score_x", "Made-up score", "Housing and Environment", "Hardship", "score", "low is good",
     "score", "2022"),
    ("plain_share", "Residents of a made-up group", "Demographics and Communities", "Community",
     "%", "no judgement", "proportion", "2021"),
    ("residents_2017", "Residents (mid-2017)", "Demographics and Communities", "Population",
     "people", "no judgement", "count", "mid-2017"),
    ("residents_2020", "Residents (mid-2020)", "Demographics and Communities", "Population",
     "people", "no judgement", "count", "mid-2020"),
    ("gap_share", "Made-up figure no hub has", "Health and Wellbeing", "Gaps", "%",
     "low is good", "proportion", "2020"),
]
# Hub values of worse_share, per 1,000 households: Hub A is the sixth highest of eight.
HUB_SHARE = dict(zip(HUBS, [400, 900, 800, 700, 600, 500, 300, 200]))
# Neighbourhood values (per 1,000): Hub A's second is among the city's worst four of 16.
NB_SHARE = {"A1": 350, "A2": 450, "B1": 950, "C1": 850, "D1": 400}


def _neighbourhoods() -> list[tuple[str, str, str]]:
    return [(f"E0200{hub[-1]}{n}", f"{hub[-1]}{n}", hub) for hub in HUBS for n in (1, 2)]


def make_pack(path: Path, trends: bool = True) -> Path:
    """A SYNTHETIC pack with just what the comparison reads."""
    rows = []

    def share(code, level, indicator, num, den, period="2022"):
        rows.append((code, level, indicator, period, num / den * 100, num, den))

    for code, name, _ in _neighbourhoods():
        share(code, s.LEVEL_NEIGHBOURHOOD, "worse_share", NB_SHARE.get(name, 100), 1000)
        share(code, s.LEVEL_NEIGHBOURHOOD, "similar_share", 200, 1000)
        rows.append((code, s.LEVEL_NEIGHBOURHOOD, "score_x", "2022", 10.0, None, None))
        share(code, s.LEVEL_NEIGHBOURHOOD, "plain_share", 300, 1000, "2021")
        share(code, s.LEVEL_NEIGHBOURHOOD, "gap_share", 100, 1000, "2020")
        for indicator, value in (("residents_2017", 500), ("residents_2020", 550)):
            rows.append((code, s.LEVEL_NEIGHBOURHOOD, indicator, "", value, None, None))
    for hub in HUBS:
        share(hub, s.LEVEL_HUB, "worse_share", HUB_SHARE[hub], 1000)
        share(hub, s.LEVEL_HUB, "similar_share", 205, 1000)
        rows.append((hub, s.LEVEL_HUB, "score_x", "2022", 12.0, None, None))
        share(hub, s.LEVEL_HUB, "plain_share", 300, 1000, "2021")
        rows.append((hub, s.LEVEL_HUB, "residents_2017", "mid-2017", 1000, None, None))
        rows.append((hub, s.LEVEL_HUB, "residents_2020", "mid-2020", 1115, None, None))
    share(CITY, s.LEVEL_CITY, "worse_share", 2000, 10000)
    share(CITY, s.LEVEL_CITY, "similar_share", 2000, 10000)
    rows.append((CITY, s.LEVEL_CITY, "score_x", "2022", 10.0, None, None))
    share(CITY, s.LEVEL_CITY, "plain_share", 2000, 10000, "2021")
    share(CITY, s.LEVEL_CITY, "gap_share", 1000, 10000, "2020")
    rows.append((CITY, s.LEVEL_CITY, "residents_2017", "mid-2017", 10000, None, None))
    rows.append((CITY, s.LEVEL_CITY, "residents_2020", "mid-2020", 10530, None, None))
    share(s.ENGLAND_CODE, s.LEVEL_ENGLAND, "worse_share", 100, 1000)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE indicator_catalogue (indicator_id, title, domain, topic, unit, "
                   "polarity, value_type, period, source, licence, attribution, levels, chart, "
                   "description)")
        db.executemany("INSERT INTO indicator_catalogue VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       [(*c, SOURCE, "OGL v3.0", "Synthetic test data", "", "", "")
                        for c in CATALOGUE])
        columns = "area_code, level, indicator_id, period, value, numerator, denominator"
        for table in (s.VALUES, *([s.TRENDS] if trends else [])):
            db.execute(f"CREATE TABLE {table} ({columns}, lower95, upper95, note)")
        db.executemany(f"INSERT INTO {s.VALUES} ({columns}) VALUES (?,?,?,?,?,?,?)", rows)
        if trends:
            db.executemany(f"INSERT INTO {s.TRENDS} ({columns}) VALUES (?,?,?,?,?,?,?)",
                           [("Hub A", s.LEVEL_HUB, "worse_share", "2011", 25.0, 250, 1000),
                            (CITY, s.LEVEL_CITY, "worse_share", "2011", 15.0, 1500, 10000)])
        db.execute(f"CREATE TABLE {s.NEIGHBOURHOODS} (code, name, hub)")
        db.executemany(f"INSERT INTO {s.NEIGHBOURHOODS} VALUES (?,?,?)", _neighbourhoods())
        db.execute(f"CREATE TABLE {s.PACK_INFO} (key, value)")
        db.executemany(f"INSERT INTO {s.PACK_INFO} VALUES (?,?)",
                       [("place", "Testford"), ("la_code", CITY)])
    return path


@pytest.fixture
def synthetic(tmp_path) -> ComparePack:
    return ComparePack(make_pack(tmp_path / "testford.gpkg"))


def _topic(narrative, name):
    return next(t for t in narrative.topics if t.name == name)


def _texts(narrative, topic, indicator=None, rule=None) -> list[str]:
    return [x.text for x in _topic(narrative, topic).sentences
            if (indicator is None or x.indicator_id == indicator) and (rule is None
                                                                        or x.rule == rule)]


def test_significance_is_worded_from_the_limits_and_the_polarity(synthetic):
    hub_a = write_narrative(synthetic, "Hub A")
    worse = _texts(hub_a, "Hardship", "worse_share", "compare_tested")
    assert worse == ["Households in made-up hardship: Hub A 40.0%, significantly worse than the "
                     "Testford average of 20.0% (2022; Made-up Office, Synthetic statistics)."]
    similar = _texts(hub_a, "Hardship", "similar_share", "compare_tested")[0]
    assert "20.5%, similar to the Testford average of 20.0%" in similar
    untested = _texts(hub_a, "Hardship", "score_x")[0]  # a score without limits: figures only
    assert untested == ("Made-up score: Hub A 12.00; the Testford average is 10.00 (2022; "
                        "Made-up Office, Synthetic statistics).")
    assert not re.search(r"significantly|similar", untested)
    # No polarity: higher or lower, never better or worse (Hub B's 30.0% against 20.0%).
    plain = _texts(write_narrative(synthetic, "Hub B"), "Community", "plain_share")[0]
    assert "significantly higher than the Testford average of 20.0%" in plain


def test_ratio_rank_england_extremes_and_worst_quarter(synthetic):
    texts = _texts(write_narrative(synthetic, "Hub A"), "Hardship", "worse_share")
    assert "That is 2.0 times the Testford average (2022; Made-up Office, Synthetic " \
        "statistics)." in texts
    assert any("Hub A has the sixth highest figure of Testford's eight Family Hub areas" in t
               for t in texts)
    assert any("Against England (10.0%), Hub A is significantly worse than the national" in t
               for t in texts)
    assert any("Among Hub A's neighbourhoods, A1 has the lowest figure, at 35.0%, and A2 the "
               "highest, at 45.0%" in t for t in texts)
    assert any(t.startswith("1 of the 2 neighbourhoods is among the worst 25% of Testford's "
                            "neighbourhoods") for t in texts)
    # The highest hub is "the highest"; a 1.0 ratio (similar_share) gives no ratio sentence.
    assert any("Hub B has the highest figure" in t
               for t in _texts(write_narrative(synthetic, "Hub B"), "Hardship", "worse_share"))
    assert not _texts(write_narrative(synthetic, "Hub A"), "Hardship", "similar_share", "ratio")


def test_growth_trend_and_missing_data(synthetic):
    hub_a = write_narrative(synthetic, "Hub A")
    assert _texts(hub_a, "Population", rule="growth") == [
        "Between mid-2017 and mid-2020 the population of Hub A grew by 11.5%, against 5.3% for "
        "Testford (Made-up Office, Synthetic statistics)."]
    assert _texts(hub_a, "Hardship", rule="trend") == [
        "Households in made-up hardship: Hub A rose from 25.0% in 2011 to 40.0% in 2022; "
        "Testford from 15.0% to 20.0% (Made-up Office, Synthetic statistics)."]
    assert _texts(hub_a, "Gaps") == ["The pack has no figures on gaps for Hub A."]


def test_city_profile_compares_with_england_and_ranks_the_hubs(synthetic):
    city = write_narrative(synthetic, None)
    texts = _texts(city, "Hardship", "worse_share")
    assert texts[0].startswith("Households in made-up hardship: Testford 20.0%, significantly "
                               "worse than the England average of 10.0%")
    assert any("Among Testford's eight Family Hub areas, Hub H has the lowest figure, at 20.0%, "
               "and Hub B the highest, at 90.0%" in t for t in texts)


def test_executive_summary_takes_the_largest_significant_differences(synthetic):
    summary = write_narrative(synthetic, "Hub A").summary
    chosen = summary["Housing and Environment"]
    assert [x.indicator_id for x in chosen] == ["worse_share"]  # similar and untested left out
    assert summary["Prospects"] == []


def test_reworded_templates_change_the_output(synthetic, tmp_path):
    data = json.loads(TEMPLATES_FILE.read_text())
    data["sentences"]["compare_tested"] = ("In {area}, {indicator} stands at {value}: "
                                           "{judgement} {place} ({comparator_value}; {period}).")
    data["words"]["worse"] = "markedly worse than"
    reworded = tmp_path / "templates.json"
    reworded.write_text(json.dumps(data))
    text = _texts(write_narrative(synthetic, "Hub A", Templates.load(reworded)), "Hardship",
                  "worse_share", "compare_tested")[0]
    assert text == ("In Hub A, Households in made-up hardship stands at 40.0%: markedly worse "
                    "than Testford (20.0%; 2022).")


@pytest.mark.parametrize("change, message", [
    (lambda d: d["sentences"].update(ratio="{ratio} times {nonsense}"), "{nonsense}"),
    (lambda d: d["sentences"].pop("extremes"), "'extremes' is missing"),
    (lambda d: d["sentences"].update(ratio="{ratio"), "cannot be read"),
    (lambda d: d["words"].pop("similar"), "'similar' is missing"),
])
def test_a_broken_templates_file_is_a_clear_error(tmp_path, change, message):
    data = json.loads(TEMPLATES_FILE.read_text())
    change(data)
    broken = tmp_path / "templates.json"
    broken.write_text(json.dumps(data))
    with pytest.raises(JsnaInputError, match=re.escape(message)):
        Templates.load(broken)


def test_local_text_per_topic_and_hub_and_unknown_topics(tmp_path):
    (tmp_path / "harmony").mkdir()
    (tmp_path / "fuel-poverty.md").write_text("For every hub.")
    (tmp_path / "harmony" / "fuel-poverty.md").write_text("Harmony's own **text**.\n\n- a bullet")
    (tmp_path / "fuel-povrety.md").write_text("Misspelt.")
    found = local_text(tmp_path, ["Fuel poverty", "Housing"], "Harmony")
    assert found.by_topic == {"Fuel poverty": "Harmony's own **text**.\n\n- a bullet"}
    assert len(found.warnings) == 1 and "fuel-povrety.md: no topic called 'fuel-povrety'" \
        in found.warnings[0]
    assert local_text(tmp_path, ["Fuel poverty"], "Mosaic").by_topic == {
        "Fuel poverty": "For every hub."}
    assert markdown_blocks("# Title\nOne\nline.\n\n- a **b**\n1. c") == [
        ("heading", "Title"), ("paragraph", "One line."), ("bullet", "a b"), ("bullet", "c")]
    with pytest.raises(JsnaInputError, match="Folder of local text not found"):
        local_text(tmp_path / "missing", ["Housing"], None)


def test_missing_text_leaves_placeholders_never_blanks(synthetic, tmp_path):
    (tmp_path / "hardship.md").write_text("The council's plan.")
    local = local_text(tmp_path, ["Hardship", "Population"], "Hub A")
    narrative = write_narrative(synthetic, "Hub A", local=local, why={"Hardship": "Because."})
    hardship, population = _topic(narrative, "Hardship"), _topic(narrative, "Population")
    assert hardship.why == "Because." and hardship.what_else == (("paragraph",
                                                                  "The council's plan."),)
    assert population.why.startswith("[Why is this important? No paragraph for Population")
    assert population.what_else[0][0] == "placeholder"
    assert "as population.md in the local text folder" in population.what_else[0][1]


def test_assets_columns_and_postcodes(tmp_path, coventry_pack_2025):
    good = tmp_path / "assets.csv"
    good.write_text("Name,Description,Postcode,Hub\nHillfields Centre,Youth club,cv1 5gr,\n"
                    "Stoke library,Books,CV2 4NN,Harmony\nNowhere hall,Lost,ZZ9 9ZZ,Harmony\n"
                    "Far club,Elsewhere,CV1 1DD,Mosaic\nNo postcode group,Meets weekly,,\n")
    harmony = read_assets(good, "Harmony")
    assert [a.name for a in harmony] == ["Hillfields Centre", "Stoke library", "Nowhere hall",
                                         "No postcode group"]
    assert len(read_assets(good, None)) == 5
    with closing(sqlite3.connect(coventry_pack_2025)) as db:
        x, y = db.execute("SELECT x, y FROM postcodes WHERE postcode = 'CV15GR'").fetchone()
    placed, messages = place_assets(harmony, coventry_pack_2025)
    assert (placed[0].x, placed[0].y) == (x, y)
    assert not placed[2].placed and not placed[3].placed
    assert messages == ["Nowhere hall: postcode ZZ9 9ZZ not found in the pack's postcodes, "
                        "listed without a map point",
                        "No postcode group: no postcode, listed without a map point"]
    bad = tmp_path / "bad.csv"
    bad.write_text("title,postcode\nA,CV1 5GR\n")
    with pytest.raises(JsnaInputError, match="needs the columns name and description.*'name' is "
                       "missing"):
        read_assets(bad, None)


# Every figure of the real profiles, traced to the pack ----------------------------------------
NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?%?")


def _pack_values(pack: Path) -> dict:
    with closing(sqlite3.connect(pack)) as db:
        values = db.execute("SELECT area_code, indicator_id, value FROM indicator_values").fetchall()
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'indicator_trends'").fetchone():
            values += db.execute("SELECT area_code, indicator_id, value FROM indicator_trends "
                                 "WHERE value IS NOT NULL").fetchall()
    out: dict = {}
    for code, indicator, value in values:
        out.setdefault((code, indicator), []).append(value)
    return out


@pytest.mark.parametrize("edition", ["2025", "2019"])
def test_every_number_in_the_text_comes_from_the_pack(edition, coventry_pack,
                                                      coventry_pack_2025):
    pack = coventry_pack_2025 if edition == "2025" else coventry_pack
    compare = ComparePack(pack)
    values = _pack_values(pack)
    names = [a.name for a in compare._areas.values()] + [compare.place, "England and Wales"]
    checked = 0
    for hub in [*compare.hubs, None]:
        for topic in write_narrative(compare, hub).topics:
            for sentence in topic.sentences:
                assert sentence.rule == "no_data" or (sentence.source and sentence.source
                                                      in sentence.text), sentence.text
                assert sentence.rule == "no_data" or sentence.period.split(" to ")[0] \
                    in sentence.text, sentence.text
                indicator = compare.indicator(sentence.indicator_id)
                text = sentence.text
                known = [sentence.source, *([indicator.title, f"({indicator.unit})"]
                                             if indicator else []),
                         *sentence.period.split(" to "), *sorted(names, key=len, reverse=True)]
                for part in known:
                    text = text.replace(part, " ") if part else text
                printed = {n for f in sentence.figures for n in NUMBER.findall(f.text)}
                for number in NUMBER.findall(text):
                    assert number in printed, f"{number} untraceable in: {sentence.text}"
                for figure in sentence.figures:
                    if figure.kind == "value":
                        published = values[(figure.area_code, figure.indicator_id)]
                        assert any(format_value(indicator, v) == figure.text
                                   for v in published), sentence.text
                    elif figure.kind == "ratio":
                        own = compare.cell(compare.area(hub or compare.city_code), indicator,
                                           "city" if hub else "england")
                        assert f"{own.value / own.comparator_value:.1f}" == figure.text
                    checked += 1
    assert checked > 500


def test_short_source_keeps_publisher_and_publication():
    assert short_source("ONS, Census 2021 topic summaries (TS011, TS019), via Nomis") == \
        "ONS, Census 2021 topic summaries"
    assert short_source("NHS Digital / NHS England ODS; Ordnance Survey") == \
        "NHS Digital / NHS England ODS"


# The slips an editor caught (issue 24), each on the SYNTHETIC pack with one made-up indicator
# added: ties and a council-wide value, a count, a tiny but significant difference, a tie
# across the city's worst quarter, and a tiny negative number.
SLIPS = [  # id, unit, polarity, value_type; neighbourhood values; Hub A's and the city's
    ("tied_share", "%", "low is good", "proportion"),
    ("council_share", "%", "low is good", "proportion"),
    ("zero_count", "count", "low is good", "count"),
    ("tiny_gap", "%", "low is good", "proportion"),
    ("good_share", "%", "high is good", "proportion"),
]


@pytest.fixture
def slips(tmp_path) -> ComparePack:
    pack = make_pack(tmp_path / "slips.gpkg")
    codes = [code for code, _, _ in _neighbourhoods()]
    rows = []
    for i, code in enumerate(codes):
        rows += [(code, "neighbourhood", "tied_share", 180, 1000),  # every one 18.0%
                 # one published figure for the council, repeated: 1.8% printed for all
                 (code, "neighbourhood", "council_share", 18 + (i % 3 - 1) * 0.04, 1000),
                 (code, "neighbourhood", "zero_count", 0 if i < 12 else 3, None),
                 (code, "neighbourhood", "tiny_gap", 230, 1000),
                 (code, "neighbourhood", "good_share", 0 if i < 12 else 400, 1000)]
    rows += [("Hub A", "hub", "tied_share", 360, 2000), ("Hub A", "hub", "zero_count", 2, None),
             ("Hub A", "hub", "tiny_gap", 22_600, 100_000),
             ("Hub A", "hub", "council_share", 36, 2000), ("Hub A", "hub", "good_share", 0, 2000),
             (CITY, "city", "tied_share", 1800, 10000), (CITY, "city", "zero_count", 9, None),
             (CITY, "city", "tiny_gap", 230_000, 1_000_000),
             (CITY, "city", "council_share", 180, 10000),
             (CITY, "city", "good_share", 1600, 10000)]
    # a figure published only for neighbourhoods (as MSOA life expectancy is): none for hubs
    rows += [(code, "neighbourhood", "nb_only", 78.0 + i * 0.5, None)
             for i, code in enumerate(codes)]
    with closing(sqlite3.connect(pack)) as db, db:
        db.executemany("INSERT INTO indicator_catalogue VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       [(i, f"Made-up {i.replace('_', ' ')}", "Health and Wellbeing", topic,
                         unit, polarity, kind, "2022", SOURCE, "OGL v3.0", "Synthetic test data",
                         "", "", "") for i, unit, polarity, kind, topic in
                        [(*slip, "Slips") for slip in SLIPS]
                        + [("nb_only", "years", "high is good", "life expectancy",
                            "Neighbourhoods only")]])
        db.executemany(f"INSERT INTO {s.VALUES} (area_code, level, indicator_id, period, value, "
                       "numerator, denominator) VALUES (?,?,?,'2022',?,?,?)",
                       [(code, level, i, num if den is None else num / den * 100,
                         None if den is None else num, den)
                        for code, level, i, num, den in rows])
    return ComparePack(pack)


def slip_narrative(slips, *ids):
    """Hub A's narrative with the slips topic's headlines chosen, as a templates file does."""
    data = json.loads(TEMPLATES_FILE.read_text())
    data["headlines"]["Slips"] = list(ids)
    return write_narrative(slips, "Hub A", Templates(data))


def test_no_lowest_or_highest_on_tied_or_council_wide_values(slips):
    for indicator in ("tied_share", "council_share"):  # each the topic's lead figure
        texts = _texts(slip_narrative(slips, indicator), "Slips", indicator)
        assert texts and not [t for t in texts if "lowest figure" in t], indicator


def test_a_count_is_a_total_never_an_average(slips):
    [text] = _texts(slip_narrative(slips, "zero_count"), "Slips", "zero_count")
    assert text == ("Made-up zero count: Hub A 2 in total; Testford 9 in total (2022; Made-up "
                    "Office, Synthetic statistics).")


def test_a_tiny_significant_difference_is_called_similar(slips):
    cell = slips.cell(slips.area("Hub A"), next(i for i in slips.indicators
                                                if i.indicator_id == "tiny_gap"))
    assert cell.significance == "better"  # 22.6% against 23.0%, on 100,000 households
    [text] = _texts(slip_narrative(slips, "tiny_gap"), "Slips", "tiny_gap", "compare_tested")
    assert "22.6%, similar to the Testford average of 23.0%" in text


def test_a_tie_across_the_worst_quarter_is_not_in_it(slips):
    """12 of the 16 neighbourhoods have 0%, the worst for a high-is-good share: none of them
    is "among the worst 25%"."""
    texts = _texts(slip_narrative(slips, "good_share"), "Slips", "good_share")
    assert texts and not [t for t in texts if "worst 25%" in t]


def test_a_tiny_negative_is_written_as_zero():
    class Score:
        unit, value_type = "score", "score"
    assert format_value(Score, -0.001) == "0.00" and format_value(Score, -0.01) == "-0.01"


def test_a_councils_older_templates_file_gets_the_new_count_sentence(tmp_path):
    data = json.loads(TEMPLATES_FILE.read_text())
    del data["sentences"]["compare_count"]
    older = tmp_path / "templates.json"
    older.write_text(json.dumps(data))
    assert "in total" in Templates.load(older).sentences["compare_count"]


def test_a_figure_only_neighbourhoods_have_is_written_as_their_range(slips):
    """Not "The pack has no figures on ... for Hub A" beside a table that has them."""
    texts = _texts(write_narrative(slips, "Hub A"), "Neighbourhoods only")
    assert texts == ["Among Hub A's neighbourhoods, A1 has the lowest figure, at 78.0 years, "
                     "and A2 the highest, at 78.5 years (2022; Made-up Office, Synthetic "
                     "statistics)."]
