"""What changed between IMD 2019 (2011 small areas) and IMD 2025 (2021 small areas).

The ONS LSOA 2011 -> 2021 lookup says how each 2021 small area came about (CHGIND): U
unchanged, S split from one 2011 area, M merged from several, X irregular. A 2021 area's IMD
2019 is its 2011 parent's (U, S), or for a merge the parents' ranks averaged with their
populations as weights, then placed in 2019's deciles; X areas have no comparable parent and
are left out. Pure pandas: no Qt, no files.
"""

from __future__ import annotations

import math

import pandas as pd

from ..core.errors import JsnaInputError

LSOAS_2019 = 32_844  # small areas IMD 2019 ranks (England, LSOA 2011)
CHANGE_CODES = {"U": "unchanged", "S": "split", "M": "merged", "X": "irregular"}


def decile_of_rank(rank: float, total: int = LSOAS_2019) -> int:
    """The decile a rank falls in (1 = the most deprived tenth), as MHCLG cuts them: decile d
    ends at rank floor(d x total / 10) (3,284, 6,568, ... in 2019's File 2)."""
    return next((d for d in range(1, 10) if rank <= math.floor(d * total / 10)), 10)


def carried_to_2021(values: pd.DataFrame, lookup: pd.DataFrame,
                    population: pd.Series) -> pd.DataFrame:
    """Each column of ``values`` (indexed by LSOA 2011 code) on the 2021 small areas of
    ``lookup`` (lsoa11_code, lsoa21_code, change_code): unchanged and split areas take their
    2011 parent's value, merged areas their parents' values weighted by ``population`` (equal
    weights where none is known), irregular areas and those with a parent missing a value get
    none. Returns code, the columns, change_code (U, S, M or X), sorted by code."""
    unknown = sorted(set(lookup["change_code"]) - set(CHANGE_CODES))
    if unknown:
        raise JsnaInputError(f"the LSOA 2011 to 2021 lookup has a change code '{unknown[0]}' "
                             "(expected U, S, M or X)")
    rows = lookup[["lsoa11_code", "lsoa21_code", "change_code"]].reset_index(drop=True)
    groups = rows.groupby("lsoa21_code", sort=True)
    parents = groups["lsoa11_code"].transform("size")
    irregular = rows["change_code"].eq("X").groupby(rows["lsoa21_code"]).transform("any")
    weight = rows["lsoa11_code"].map(population).fillna(0).astype(float)
    no_weight = weight.groupby(rows["lsoa21_code"]).transform("sum") <= 0
    weight = weight.where(~no_weight, 1.0)
    kind = rows["change_code"].where(parents == 1, "M").where(~irregular, "X")
    out = pd.DataFrame({"code": groups.size().index})
    for column in values.columns:
        value = rows["lsoa11_code"].map(values[column]).astype(float)
        missing = value.isna().groupby(rows["lsoa21_code"]).any()
        total = (value * weight).groupby(rows["lsoa21_code"]).sum()
        mean = total / weight.groupby(rows["lsoa21_code"]).sum()
        left_out = missing | kind.groupby(rows["lsoa21_code"]).first().eq("X")
        out[column] = mean.where(~left_out).to_numpy()
    out["change_code"] = kind.groupby(rows["lsoa21_code"]).first().to_numpy()
    return out


def imd_2019_on_2021_areas(ranks: pd.Series, deciles: pd.Series, lookup: pd.DataFrame,
                           population: pd.Series) -> pd.DataFrame:
    """IMD 2019 rank and decile for each 2021 small area of ``lookup`` (carried_to_2021; a
    merged area's decile is that of its weighted rank).

    ``ranks``/``deciles``: IMD 2019 by LSOA 2011 code; ``population``: weights by LSOA 2011
    code (IoD 2019 denominators). Returns code, imd_rank_2019, imd_decile_2019, change_code
    (NaN rank where it cannot be had)."""
    carried = carried_to_2021(pd.DataFrame({"imd_rank_2019": ranks,
                                            "imd_decile_2019": deciles}),
                              lookup, population)
    merged = (carried["change_code"] == "M") & carried["imd_rank_2019"].notna()
    carried.loc[merged, "imd_decile_2019"] = carried.loc[merged, "imd_rank_2019"].map(
        lambda rank: float(decile_of_rank(rank)))
    return carried[["code", "imd_rank_2019", "imd_decile_2019", "change_code"]]


def change_table(before: pd.DataFrame, rank_2025: pd.Series,
                 decile_2025: pd.Series) -> pd.DataFrame:
    """Per 2021 small area: IMD 2019 and 2025 side by side, the changes, and moves into and
    out of England's most deprived 10% (1 or 0; missing where 2019 cannot be had)."""
    table = before.set_index("code")
    table["imd_rank_2025"] = rank_2025.reindex(table.index).astype(float)
    table["imd_decile_2025"] = decile_2025.reindex(table.index).astype(float)
    table["rank_change"] = table["imd_rank_2025"] - table["imd_rank_2019"]
    table["decile_change"] = table["imd_decile_2025"] - table["imd_decile_2019"]
    known = table["imd_decile_2019"].notna() & table["imd_decile_2025"].notna()
    first_2019, first_2025 = table["imd_decile_2019"] == 1, table["imd_decile_2025"] == 1
    table["moved_in"] = (~first_2019 & first_2025).astype(float).where(known)
    table["moved_out"] = (first_2019 & ~first_2025).astype(float).where(known)
    table["most_deprived_2025"] = first_2025.astype(float).where(
        table["imd_decile_2025"].notna())
    table["areas"] = 1.0
    return table.reset_index()


def summary(table: pd.DataFrame) -> str:
    """One line for the build report: how the 2021 areas were matched to 2019."""
    counts = table["change_code"].value_counts()
    parts = [f"{counts[c]} {CHANGE_CODES[c]}" for c in CHANGE_CODES if c in counts]
    left = int(table["imd_rank_2019"].isna().sum())
    text = f"IMD 2019 on 2021 small areas: {', '.join(parts)}"
    return text + (f"; {left} left out (irregular or without a 2019 rank)" if left else "")
