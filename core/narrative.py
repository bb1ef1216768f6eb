"""The written profile: each topic's "What is the local picture? How does it compare?" written
from the comparison, with an executive summary chosen by rule.

Every sentence is made from a template in ``config/narrative/templates.json`` (a council can
reword them without touching code) and carries its period, its source and the figures it
quotes, each figure rounded as the profile's tables round it (``formatting.format_value``).
A hub's profile compares the hub with the city; the city's profile compares the city with
England and its Family Hub areas with each other. No Qt here.
"""

from __future__ import annotations

import json
import math
import re
import string
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import schema as s
from . import statistics as st
from .compare import CITY, ENGLAND, Area, Cell, ComparePack, IndicatorInfo
from .errors import JsnaInputError
from .formatting import format_value
from .recipes import CONFIG_DIR

NARRATIVE_DIR = CONFIG_DIR / "narrative"
TEMPLATES_FILE = NARRATIVE_DIR / "templates.json"
WHY_FILE = NARRATIVE_DIR / "why_important.json"
NOT_HEADLINE_TYPES = ("count", "rank", "decile")  # read in tables, not written about
WORST_SHARE = 0.25  # "among the worst 25% of the city's neighbourhoods"
SIGNIFICANT = (st.BETTER, st.WORSE, st.HIGHER, st.LOWER)

# Each template and the fields it may use; a reworded file is checked against these.
_COMMON = {"area", "indicator", "period", "source", "place"}
TEMPLATE_FIELDS = {
    "compare_tested": _COMMON | {"value", "judgement", "comparator", "comparator_value"},
    "compare_untested": _COMMON | {"value", "comparator", "comparator_value"},
    "compare_alone": _COMMON | {"value"},
    "compare_count": _COMMON | {"value", "comparator", "comparator_value"},
    "ratio": _COMMON | {"ratio", "comparator"},
    "rank_among_hubs": _COMMON | {"position", "hub_count"},
    "extremes": _COMMON | {"group", "low_area", "low_value", "high_area", "high_value"},
    "worst_quarter": _COMMON | {"count", "total", "share", "are"},
    "england_tested": _COMMON | {"judgement", "england", "england_value"},
    "england_untested": _COMMON | {"england", "england_value"},
    "growth": _COMMON | {"what", "direction", "change", "from_period", "to_period",
                         "reference", "reference_change"},
    "growth_alone": _COMMON | {"what", "direction", "change", "from_period", "to_period"},
    "trend": _COMMON | {"direction", "from_value", "to_value", "from_period", "to_period",
                        "reference", "reference_from", "reference_to"},
    "trend_alone": _COMMON | {"direction", "from_value", "to_value", "from_period", "to_period"},
    "no_data": {"area", "topic", "place"},
    "group_members": {"hub", "place"},
    "city_members": {"hub_count", "place"},
    "why_missing": {"topic"},
    "summary_intro": {"area", "comparator", "count"},
    "summary_none": {"area", "comparator"},
    "what_else_missing": {"topic", "hub", "file"},
}
# Templates added since councils began rewording the file: taken from the built-in file when
# a council's own lacks them.
LATER_TEMPLATES = ("compare_count",)
WORD_KEYS = ("better", "worse", "higher", "lower", "similar", "grew", "fell", "rose",
             "dropped", "unchanged", "highest", "lowest", "is", "are")
RATIO_TYPES = ("proportion", "rate", "density")  # a ratio of scores or ranks means nothing
UNIT_IN_VALUE = ("", "%", "% of population", "score", "years", "km")  # format_value's own


@dataclass(frozen=True)
class Figure:
    """A number as a sentence prints it, and what it was made from."""

    text: str
    value: float
    kind: str  # value, ratio, count, share or change
    area_code: str = ""
    indicator_id: str = ""


@dataclass(frozen=True)
class Sentence:
    text: str
    rule: str  # the template it was written from
    chapter: str
    topic: str
    indicator_id: str = ""
    period: str = ""
    source: str = ""
    significance: str = ""
    size: float = 0.0  # how far from the comparator (relative), for the executive summary
    figures: tuple[Figure, ...] = ()


@dataclass(frozen=True)
class Topic:
    """A topic's three parts: why it matters (shipped text), the local picture (written from
    the data) and what else is happening (the council's text, or a placeholder saying where
    to put it)."""

    chapter: str
    name: str
    indicators: tuple[IndicatorInfo, ...]  # the topic's rows in the comparison table
    sentences: tuple[Sentence, ...]
    why: str = ""
    what_else: tuple[tuple[str, str], ...] = ()  # markdown_blocks of the council's text
    what_else_given: bool = False


@dataclass(frozen=True)
class Narrative:
    """A profile's written parts: the topics in chapter order and the executive summary."""

    area: Area
    hub: str | None
    topics: tuple[Topic, ...]
    summary: dict = field(default_factory=dict)  # chapter -> its sentences

    comparator: str = ""  # whose average the area is compared with
    summary_intro: str = ""
    summary_none: str = ""  # said of a chapter with no significant difference

    def chapter_topics(self, chapter: str) -> list[Topic]:
        return [t for t in self.topics if t.chapter == chapter]


class Templates:
    """The sentence templates, words and rules of ``templates.json``, checked when read."""

    def __init__(self, data: dict, origin: str = "templates"):
        self.origin = origin
        try:
            self.sentences = {k: str(v) for k, v in data["sentences"].items()}
            self.words = {k: str(v) for k, v in data["words"].items()}
            self.ordinals = [str(w) for w in data["ordinals"]]
            self.numbers = [str(w) for w in data["numbers"]]
            self.per_topic = int(data.get("indicators_per_topic", 3))
            self.per_chapter = int(data.get("summary_per_chapter", 3))
            self.headlines = {k: list(v) for k, v in data.get("headlines", {}).items()}
            self.growth = list(data.get("growth", []))
            # below this many percentage points, a significant difference is called similar
            self.minimum_points = float(data.get("minimum_difference_points", 0.0))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise JsnaInputError(f"{origin}: not a sentence templates file ({exc!r} is wrong "
                                 "or missing)") from None
        later = [key for key in LATER_TEMPLATES if key not in self.sentences]
        if later:
            built_in = _read_json(TEMPLATES_FILE)["sentences"]
            self.sentences.update({key: str(built_in[key]) for key in later})
        for key, allowed in TEMPLATE_FIELDS.items():
            if key not in self.sentences:
                raise JsnaInputError(f"{origin}: the template '{key}' is missing")
            try:
                used = {name for _, name, _, _ in string.Formatter().parse(self.sentences[key])
                        if name is not None}
            except ValueError as exc:
                raise JsnaInputError(f"{origin}: the template '{key}' cannot be read ({exc})"
                                     ) from None
            unknown = sorted(used - allowed - {""})
            if unknown:
                raise JsnaInputError(
                    f"{origin}: the template '{key}' uses {{{unknown[0]}}}, which it cannot "
                    f"fill (it can use: {', '.join(sorted(allowed))})")
        missing = [k for k in WORD_KEYS if k not in self.words]
        if missing:
            raise JsnaInputError(f"{origin}: the word '{missing[0]}' is missing")

    @classmethod
    def load(cls, path: str | Path | None = None) -> Templates:
        path = Path(path) if path else TEMPLATES_FILE
        return cls(_read_json(path), path.name)

    def write(self, key: str, **fields) -> str:
        return self.sentences[key].format(**fields)

    def ordinal(self, n: int) -> str:
        return self.ordinals[n - 1] if 0 < n <= len(self.ordinals) else f"{n}th"

    def number(self, n: int) -> str:
        return self.numbers[n] if 0 <= n < len(self.numbers) else f"{n:,}"


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise JsnaInputError(f"File not found: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise JsnaInputError(f"{path.name} is not valid JSON ({exc})") from None


def why_important(path: str | Path | None = None) -> dict[str, str]:
    """The shipped "Why is this important?" paragraph of each topic."""
    data = _read_json(Path(path) if path else WHY_FILE)
    return {k: str(v) for k, v in data.get("topics", {}).items()}


def short_source(source: str) -> str:
    """A source as a sentence cites it: publisher and publication, without the file details
    the sources section gives ("ONS, Census 2021 topic summaries")."""
    text = source.split(";")[0].split(" (")[0]
    parts = [p.strip() for p in text.split(",")]
    return ", ".join(parts[:2])


def relative_difference(value: float, comparator: float) -> float:
    if math.isnan(value) or math.isnan(comparator):
        return 0.0
    return abs(value / comparator - 1) if comparator else abs(value - comparator)


def write_narrative(compare: ComparePack, hub: str | None, templates: Templates | None = None,
                    local: LocalText | None = None, why: dict | None = None) -> Narrative:
    """Every topic the pack has, for a hub (None: the city): the local picture written from
    the data, the shipped "why" paragraph and the council's ``local`` text, with placeholders
    where text is missing."""
    t = templates or Templates.load()
    why = why_important() if why is None else why
    local = local or LocalText({})
    narrative = _Writer(compare, hub, t).narrative()
    area = hub or compare.place
    topics = []
    for topic in narrative.topics:
        given = local.by_topic.get(topic.name)
        blocks = markdown_blocks(given) if given else []
        if not blocks:
            blocks = [("placeholder", t.write("what_else_missing", topic=topic.name, hub=area,
                                              file=f"{slug(topic.name)}.md"))]
        topics.append(replace(topic, why=why.get(topic.name) or t.write("why_missing",
                                                                         topic=topic.name),
                              what_else=tuple(blocks), what_else_given=bool(given)))
    area_name, comparator = narrative.area.name, narrative.comparator
    return replace(narrative, topics=tuple(topics),
                   summary_intro=t.write("summary_intro", area=area_name, comparator=comparator,
                                         count=t.number(t.per_chapter)),
                   summary_none=t.write("summary_none", area=area_name, comparator=comparator))


class _Writer:
    def __init__(self, compare: ComparePack, hub: str | None, templates: Templates):
        self.compare, self.hub, self.t = compare, hub, templates
        self.place = compare.place
        self.city = compare.area(compare.city_code)
        hubs = [compare.area(h) for h in compare.hubs]
        if hub is None:
            self.area, self.against = self.city, ENGLAND
            self.members = hubs
            self.group = self.t.write("city_members", hub_count=self.t.number(len(hubs)),
                                      place=self.place)
        else:
            self.area, self.against = compare.area(hub), CITY
            self.members = compare.hub_neighbourhoods(hub)
            self.group = self.t.write("group_members", hub=hub, place=self.place)
        self.hubs = hubs

    def narrative(self) -> Narrative:
        by_topic: dict = {}
        for ind in self.compare.indicators:
            by_topic.setdefault((ind.domain, ind.topic or ind.domain), []).append(ind)
        topics = [Topic(chapter, name, tuple(i for i in inds if not i.chart),
                        tuple(self.topic_sentences(chapter, name, inds)))
                  for (chapter, name), inds in by_topic.items() if chapter in s.DOMAINS]
        return Narrative(self.area, self.hub, tuple(topics), self.summary(topics),
                         self.compare.comparator_name(self.against, None))

    # Topics --------------------------------------------------------------------------------
    def headlines(self, topic: str, indicators: list[IndicatorInfo]) -> list[IndicatorInfo]:
        """The indicators written about: the templates file's choice for the topic, else the
        first few figures that are not counts, ranks or deciles; a topic drawn only as a chart
        (religions) is written about through its largest groups."""
        with_value = [i for i in indicators if self.cell(self.area, i).has_value]
        chosen = self.t.headlines.get(topic)
        if chosen:
            return [i for i in with_value if i.indicator_id in chosen][:self.t.per_topic]
        plain = [i for i in with_value if not i.chart and i.value_type not in NOT_HEADLINE_TYPES]
        if plain:
            return plain[:self.t.per_topic]
        charted = sorted((i for i in with_value if i.chart),
                         key=lambda i: -self.cell(self.area, i).value)
        return charted[:2] or with_value[:self.t.per_topic]  # counts, if nothing else

    def topic_sentences(self, chapter: str, topic: str,
                        indicators: list[IndicatorInfo]) -> list[Sentence]:
        headlines = self.headlines(topic, indicators)
        out = []
        for n, ind in enumerate(headlines):
            out += self.indicator_sentences(chapter, topic, ind, lead=n == 0)
        ids = {i.indicator_id for i in indicators}
        out += self.growth_sentences(chapter, topic, ids)
        for ind in self.compare.trend_indicators():
            if ind.indicator_id in ids:
                out += self.trend_sentence(chapter, topic, ind)
        if not out:  # figures published only for neighbourhoods (life expectancy): their range
            ranges = (self.extremes(chapter, topic, ind) for ind in indicators if not ind.chart)
            out += [x for x in ranges if x][:self.t.per_topic]
        if not out:
            out.append(Sentence(self.t.write("no_data", area=self.area.name, topic=topic.lower(),
                                             place=self.place), "no_data", chapter, topic))
        return out

    def cell(self, area: Area, ind: IndicatorInfo, comparator: str = CITY) -> Cell:
        return self.compare.cell(area, ind, comparator)

    def fields(self, ind: IndicatorInfo, period: str | None = None) -> dict:
        unit = "" if ind.unit in UNIT_IN_VALUE or ind.value_type in NOT_HEADLINE_TYPES \
            else f" ({ind.unit})"
        return {"area": self.area.name, "indicator": ind.title + unit, "place": self.place,
                "period": period or ind.period, "source": short_source(ind.source)}

    def sentence(self, key: str, chapter: str, topic: str, ind: IndicatorInfo,
                 figures: list[Figure], period: str | None = None, significance: str = "",
                 size: float = 0.0, **fields) -> Sentence:
        base = self.fields(ind, period)
        text = self.t.write(key, **base, **fields)
        return Sentence(text, key, chapter, topic, ind.indicator_id, base["period"],
                        base["source"], significance, size, tuple(figures))

    def value_figure(self, ind: IndicatorInfo, area: Area, value: float) -> Figure:
        return Figure(format_value(ind, value), value, "value", area.code, ind.indicator_id)

    # Rules ---------------------------------------------------------------------------------
    def indicator_sentences(self, chapter: str, topic: str, ind: IndicatorInfo,
                            lead: bool) -> list[Sentence]:
        cell = self.cell(self.area, ind, self.against)
        out = [self.comparison(chapter, topic, ind, cell)]
        ratio = self.ratio(chapter, topic, ind, cell)
        if ratio:
            out.append(ratio)
        if lead:
            out += filter(None, [self.rank_among_hubs(chapter, topic, ind),
                                 self.england(chapter, topic, ind),
                                 self.extremes(chapter, topic, ind),
                                 self.worst_quarter(chapter, topic, ind)])
        return out

    def comparison(self, chapter: str, topic: str, ind: IndicatorInfo, cell: Cell) -> Sentence:
        """Hub against city (the city against England): significance worded by polarity."""
        own = self.value_figure(ind, self.area, cell.value)
        comparator = self.comparator(cell)
        if math.isnan(cell.comparator_value):
            return self.sentence("compare_alone", chapter, topic, ind, [own], cell.period,
                                 value=own.text)
        other = Figure(format_value(ind, cell.comparator_value), cell.comparator_value, "value",
                       self.comparator_code(ind), ind.indicator_id)
        if ind.value_type == "count":  # a total, never an average, and not compared by size
            return self.sentence("compare_count", chapter, topic, ind, [own, other], cell.period,
                                 value=own.text, comparator=comparator,
                                 comparator_value=other.text)
        significance = self.meaningful(ind, cell)
        if significance in (*SIGNIFICANT, st.SIMILAR):
            size = relative_difference(cell.value, cell.comparator_value) \
                if significance in SIGNIFICANT else 0.0
            return self.sentence("compare_tested", chapter, topic, ind, [own, other],
                                 cell.period, significance, size, value=own.text,
                                 judgement=self.t.words[significance],
                                 comparator=comparator, comparator_value=other.text)
        return self.sentence("compare_untested", chapter, topic, ind, [own, other], cell.period,
                             value=own.text, comparator=comparator, comparator_value=other.text)

    def meaningful(self, ind: IndicatorInfo, cell: Cell) -> str:
        """The cell's significance, or "similar" where a percentage differs significantly but
        by less than the templates' minimum meaningful difference (large denominators make
        tenths of a point significant)."""
        if cell.significance in SIGNIFICANT and ind.unit in ("%", "% of population") and \
                abs(cell.value - cell.comparator_value) < self.t.minimum_points:
            return st.SIMILAR
        return cell.significance

    def comparator_code(self, ind: IndicatorInfo) -> str:
        if self.against == CITY:
            return self.compare.city_code
        return self.compare.national_code(ind) or ""

    def comparator(self, cell: Cell) -> str:
        return cell.comparator_name or self.compare.comparator_name(self.against, None)

    def ratio(self, chapter: str, topic: str, ind: IndicatorInfo, cell: Cell) -> Sentence | None:
        """"2.6 times the Coventry average", when the figure is at least half as much again."""
        if ind.value_type not in RATIO_TYPES or math.isnan(cell.comparator_value) \
                or cell.comparator_value <= 0 or cell.value <= 0:
            return None
        ratio = cell.value / cell.comparator_value
        text = f"{ratio:.1f}"
        if float(text) < 1.5:
            return None
        return self.sentence("ratio", chapter, topic, ind,
                             [Figure(text, ratio, "ratio", self.area.code, ind.indicator_id)],
                             cell.period, ratio=text, comparator=self.comparator(cell))

    def rank_among_hubs(self, chapter: str, topic: str, ind: IndicatorInfo) -> Sentence | None:
        """The hub's place among the city's hubs, highest first ("the third highest")."""
        if self.hub is None or len(self.hubs) < 2:
            return None
        values = sorted(((self.cell(h, ind).value, h.name) for h in self.hubs
                         if self.cell(h, ind).has_value), key=lambda v: -v[0])
        names = [name for _, name in values]
        if self.area.name not in names or len(names) < 2:
            return None
        n, count = names.index(self.area.name) + 1, len(names)
        if n == 1:
            position = self.t.words["highest"]
        elif n == count:
            position = self.t.words["lowest"]
        else:
            position = f"{self.t.ordinal(n)} {self.t.words['highest']}"
        return self.sentence("rank_among_hubs", chapter, topic, ind, [], position=position,
                             hub_count=self.t.number(count))

    def england(self, chapter: str, topic: str, ind: IndicatorInfo) -> Sentence | None:
        """A hub against England, where the pack has England's figure."""
        if self.hub is None:
            return None
        cell = self.cell(self.area, ind, ENGLAND) if self.compare.has_england() else None
        if cell is None or math.isnan(cell.comparator_value):
            return None
        england = Figure(format_value(ind, cell.comparator_value), cell.comparator_value,
                         "value", self.compare.national_code(ind) or "", ind.indicator_id)
        if cell.significance in (*SIGNIFICANT, st.SIMILAR):
            return self.sentence("england_tested", chapter, topic, ind, [england], cell.period,
                                 judgement=self.t.words[cell.significance],
                                 england=cell.comparator_name, england_value=england.text)
        return self.sentence("england_untested", chapter, topic, ind, [england], cell.period,
                             england=cell.comparator_name, england_value=england.text)

    def extremes(self, chapter: str, topic: str, ind: IndicatorInfo) -> Sentence | None:
        """The lowest and highest of the hub's neighbourhoods (the city's hubs)."""
        cells = [c for c in (self.cell(a, ind) for a in self.members) if c.has_value]
        if len(cells) < 2:
            return None
        shown = [format_value(ind, c.value) for c in cells]
        low = min(cells, key=lambda c: c.value)
        high = max(cells, key=lambda c: c.value)
        figures = [self.value_figure(ind, low.area, low.value),
                   self.value_figure(ind, high.area, high.value)]
        if shown.count(figures[0].text) > 1 or shown.count(figures[1].text) > 1:
            return None  # tied (or one value for all, as printed): no lowest or highest
        return self.sentence("extremes", chapter, topic, ind, figures, low.period,
                             group=self.group, low_area=low.area.name, low_value=figures[0].text,
                             high_area=high.area.name, high_value=figures[1].text)

    def worst_quarter(self, chapter: str, topic: str, ind: IndicatorInfo) -> Sentence | None:
        """How many of the hub's neighbourhoods rank among the city's worst quarter."""
        if self.hub is None or ind.polarity == s.POLARITY_NONE or ind.value_type == "count":
            return None
        cells = [c for c in (self.cell(a, ind) for a in self.members)
                 if c.has_value and c.rank is not None]
        boundary = self.worst_quarter_boundary(ind)
        if boundary is None:
            return None
        sign = 1 if ind.polarity == s.POLARITY_LOW_GOOD else -1
        worst = [c for c in cells if sign * (c.value - boundary) > 0]
        if not worst:
            return None
        share = f"{WORST_SHARE:.0%}"
        figures = [Figure(str(len(worst)), len(worst), "count", self.area.code, ind.indicator_id),
                   Figure(str(len(cells)), len(cells), "count", self.area.code, ind.indicator_id),
                   Figure(share, WORST_SHARE * 100, "share")]
        return self.sentence("worst_quarter", chapter, topic, ind, figures,
                             count=str(len(worst)), total=str(len(cells)), share=share,
                             are=self.t.words["is" if len(worst) == 1 else "are"])

    def worst_quarter_boundary(self, ind: IndicatorInfo) -> float | None:
        """The best value outside the city's worst quarter of neighbourhoods: only values worse
        than it are in that quarter, so a value tied across the boundary is in none."""
        values = [c.value for c in (self.cell(a, ind) for a in
                                    self.compare.neighbourhoods.values()) if c.has_value]
        outside = int(len(values) * WORST_SHARE)
        if outside < 1 or outside >= len(values):
            return None
        worst_first = sorted(values, reverse=ind.polarity == s.POLARITY_LOW_GOOD)
        return worst_first[outside]

    def growth_sentences(self, chapter: str, topic: str, ids: set[str]) -> list[Sentence]:
        """Growth between two counts of the pack ("grew by 11.5% between mid-2017 and
        mid-2020, against 5.3% for Coventry"), as the templates file pairs them."""
        out = []
        for pair in self.t.growth:
            earlier = self.compare.indicator(pair.get("from", ""))
            later = self.compare.indicator(pair.get("to", ""))
            if earlier is None or later is None or later.indicator_id not in ids:
                continue
            code = self.comparator_code(later)
            reference = self.compare.area(code) if code else None
            change = self._growth(earlier, later, self.area)
            if change is None:
                continue
            text = f"{abs(change):.1f}%"
            figures = [Figure(text, abs(change), "change", self.area.code,
                              later.indicator_id)]
            key, fields = "growth_alone", {}
            other = self._growth(earlier, later, reference) if reference else None
            if other is not None:
                figures.append(Figure(f"{abs(other):.1f}%", abs(other), "change",
                                      reference.code, later.indicator_id))
                key = "growth"
                fields = {"reference": reference.name,
                          "reference_change": ("-" if other < 0 else "") + f"{abs(other):.1f}%"}
            period = f"{earlier.period} to {later.period}"
            out.append(self.sentence(
                key, chapter, topic, later, figures, period, what=pair.get("what", ""),
                direction=self.t.words["grew" if change >= 0 else "fell"], change=text,
                from_period=earlier.period, to_period=later.period, **fields))
        return out

    def _growth(self, earlier: IndicatorInfo, later: IndicatorInfo, area: Area) -> float | None:
        before, after = self.cell(area, earlier).value, self.cell(area, later).value
        if math.isnan(before) or math.isnan(after) or before <= 0:
            return None
        return (after / before - 1) * 100

    def trend_sentence(self, chapter: str, topic: str, ind: IndicatorInfo) -> list[Sentence]:
        """The figure's earliest period against today's, for the area and its comparator."""
        points = [p for p in self.compare.trend(self.area.code, ind) if not math.isnan(p.value)]
        if len(points) < 2:
            return []
        first, last = points[0], points[-1]
        figures = [self.value_figure(ind, self.area, first.value),
                   self.value_figure(ind, self.area, last.value)]
        fields = {"direction": self._direction(ind, first.value, last.value),
                  "from_value": figures[0].text, "to_value": figures[1].text,
                  "from_period": first.period, "to_period": last.period}
        code = self.comparator_code(ind)
        reference = [p for p in self.compare.trend(code, ind) if not math.isnan(p.value)] \
            if code else []
        period = f"{first.period} to {last.period}"
        if len(reference) >= 2 and reference[0].period == first.period:
            other = self.compare.area(code)
            more = [self.value_figure(ind, other, reference[0].value),
                    self.value_figure(ind, other, reference[-1].value)]
            return [self.sentence("trend", chapter, topic, ind, figures + more, period,
                                  reference=other.name, reference_from=more[0].text,
                                  reference_to=more[1].text, **fields)]
        return [self.sentence("trend_alone", chapter, topic, ind, figures, period, **fields)]

    def _direction(self, ind: IndicatorInfo, before: float, after: float) -> str:
        if format_value(ind, before) == format_value(ind, after):
            return self.t.words["unchanged"]
        return self.t.words["rose" if after > before else "dropped"]

    # Executive summary ---------------------------------------------------------------------
    def summary(self, topics: list[Topic]) -> dict:
        """Per chapter, the comparisons furthest from the comparator among the significant
        ones (largest relative difference first), at most the templates file's number."""
        out = {}
        for chapter in s.DOMAINS:
            found = [x for t in topics if t.chapter == chapter for x in t.sentences
                     if x.rule == "compare_tested" and x.significance in SIGNIFICANT]
            found.sort(key=lambda x: -x.size)
            out[chapter] = found[:self.t.per_chapter]
        return out


# "What else is happening?": the council's own text --------------------------------------------
def slug(name: str) -> str:
    """A topic or hub name as a file or folder name: "Fuel poverty" -> "fuel-poverty"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@dataclass(frozen=True)
class LocalText:
    """The council's text for each topic of one profile, and what could not be used."""

    by_topic: dict
    warnings: tuple[str, ...] = ()


def local_text(folder: str | Path | None, topics: list[str], hub: str | None) -> LocalText:
    """Markdown files named after topics ("fuel-poverty.md"), in ``folder`` for every profile
    and in a sub-folder named after a hub ("harmony/fuel-poverty.md") for that hub's only,
    which then wins. A file naming no topic of the pack is a warning, never silence."""
    if not folder:
        return LocalText({})
    root = Path(folder)
    if not root.is_dir():
        raise JsnaInputError(f"Folder of local text not found: {root}")
    known = {slug(t): t for t in topics}
    found, warnings = {}, []
    places = [root] + ([root / slug(hub)] if hub else [])
    for place in places:
        for path in sorted(place.glob("*.md")):
            topic = known.get(slug(path.stem))
            if topic is None:
                warnings.append(f"{path.relative_to(root)}: no topic called '{path.stem}' in "
                                f"the pack (topics: {', '.join(sorted(known))})")
                continue
            try:
                found[topic] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                warnings.append(f"{path.relative_to(root)} cannot be read ({exc})")
    return LocalText(found, tuple(warnings))


def markdown_blocks(text: str) -> list[tuple[str, str]]:
    """Plain Markdown as (kind, text) blocks: "heading", "bullet" or "paragraph"; emphasis
    markers are dropped (the document's own styles do the emphasis)."""
    blocks, lines = [], []

    def paragraph():
        if lines:
            blocks.append(("paragraph", " ".join(lines)))
            lines.clear()
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            paragraph()
        elif line.startswith("#"):
            paragraph()
            blocks.append(("heading", line.lstrip("#").strip()))
        elif re.match(r"^([-*+]|\d+[.)])\s+", line):
            paragraph()
            blocks.append(("bullet", re.sub(r"^([-*+]|\d+[.)])\s+", "", line)))
        else:
            lines.append(line)
    paragraph()
    return [(kind, re.sub(r"(\*\*|__|\*|_|`)(.+?)\1", r"\2", body)) for kind, body in blocks]


# Sources, methods and notes: the same words in the PDF and the Word profile ------------------
METHODS = ("Rates are aggregated from summed numerators and denominators; scores without counts "
           "are population-weighted means. 95% confidence intervals: Wilson score for "
           "proportions, Byar's method (exact Poisson below 10) for counts and rates, the "
           "source's own limits for life expectancy. A neighbourhood is significantly better "
           "or worse when the {place} average lies outside its interval (Fingertips' method). "
           "Ranks: 1 = worst of the city's neighbourhoods. The written local picture says "
           "\"significantly\" only where the 95% limits show it, \"similar to\" where they do "
           "not, and neither word where the figure was not tested.")


def sources_blocks(indicators: list[IndicatorInfo], place: str, hub_lookup: str,
                   memberships: list[tuple[str, str]], pack_name: str,
                   produced: str) -> list[tuple[str, str]]:
    """The sources, licences and methods section as ("heading" | "paragraph" | "note", text)
    blocks: each source once, with the topics and periods taken from it."""
    from .catalogue import SOURCES

    sources: dict = {}
    for ind in indicators:
        topics, periods = sources.setdefault((ind.source, ind.licence, ind.attribution),
                                             ({}, {}))
        topics[ind.topic or ind.domain] = periods[ind.period] = True
    blocks = []
    for (source, licence, attribution), (topics, periods) in sources.items():
        blocks += [("heading", f"{source} ({licence})"),
                   ("paragraph", f"{', '.join(topics)} ({'; '.join(periods)})."),
                   ("note", attribution)]
    blocks += [("note", SOURCES[key].attribution) for key in ("boundaries", "hcl_names", "aurn")]
    blocks += [("heading", "Methods"), ("paragraph", METHODS.format(place=place)),
               ("heading", "Hub membership"),
               ("paragraph", f"{hub_lookup}: " + "; ".join(f"{name}: {note}"
                                                          for name, note in memberships) + "."),
               ("paragraph", f"Produced {produced} with JSNA Area Profiles from the data pack "
                             f"{pack_name}.")]
    return blocks


def indicator_notes(indicators: list[IndicatorInfo]) -> list[tuple[str, str]]:
    """(titles, note) for each catalogue description, given once for all that share it."""
    notes: dict = {}
    for ind in indicators:
        if ind.description:
            notes.setdefault(ind.description, []).append(ind.title)
    return [("; ".join(titles), note) for note, titles in notes.items()]


# A profile's written parts, for the PDF and the Word document alike --------------------------
@dataclass(frozen=True)
class WrittenOptions:
    """The council's own parts of a profile: a folder of Markdown "What else is happening?"
    text, a community-assets CSV, and reworded sentence templates; each optional."""

    local_text: Path | None = None
    assets: Path | None = None
    templates: Path | None = None


def written_profile(compare: ComparePack, hub: str | None, options: WrittenOptions | None,
                    warn=None) -> tuple[Narrative, list]:
    """The narrative and the placed assets of a hub's (the city's) profile; ``warn`` is told
    of each unknown topic file and each asset without a map point."""
    from .assets import place_assets, read_assets

    options = options or WrittenOptions()
    warn = warn or (lambda message: None)
    topics = list(dict.fromkeys(i.topic or i.domain for i in compare.indicators))
    local = local_text(options.local_text, topics, hub)
    for message in local.warnings:
        warn(message)
    narrative = write_narrative(compare, hub, Templates.load(options.templates), local)
    assets = []
    if options.assets:
        assets, messages = place_assets(read_assets(options.assets, hub), compare.location)
        for message in messages:
            warn(message)
    return narrative, assets
