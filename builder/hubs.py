"""Hub (Family Hub reach area) membership from a replaceable lookup file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..core import schema
from ..core.errors import JsnaInputError
from .sources import LAST_LSOA_2011_CODE, LSOA_CODE, read_table

LOOKUP_COLUMNS = ["hub", "basis"]


def assign_hubs(lookup_path: Path, small_areas: pd.DataFrame) -> pd.DataFrame:
    """Return hub and basis per small area; ``small_areas`` has code and neighbourhood_code.

    Lookup rows may name a small area (LSOA code) or a neighbourhood (its code as the pack
    has it: an MSOA code, or in national packs the MSOA name); a small-area row wins over its
    neighbourhood's row. An area named twice, or a code outside the place, is an error.
    """
    if not Path(lookup_path).is_file():
        raise JsnaInputError(f"Missing hub lookup file: {lookup_path}")
    lookup = read_table(Path(lookup_path), LOOKUP_COLUMNS, "area_code")
    lookup["hub"] = lookup["hub"].str.strip()
    blank = lookup[lookup["hub"] == ""]
    if len(blank):
        raise JsnaInputError(f"{Path(lookup_path).name}: {blank['area_code'].iloc[0]} has no hub")
    is_lsoa = lookup["area_code"].isin(set(small_areas["code"]))
    is_msoa = lookup["area_code"].isin(set(small_areas["neighbourhood_code"]))
    strange = lookup[~(is_lsoa | is_msoa)]
    if len(strange):
        code = strange["area_code"].iloc[0]
        kind = " (an LSOA 2021 code: this pack uses 2011 areas)" if LSOA_CODE.match(code) and \
            code > LAST_LSOA_2011_CODE else ""
        raise JsnaInputError(f"{Path(lookup_path).name}: area code {code} is not a small area "
                             f"or neighbourhood of this place{kind}")
    by_msoa = lookup[is_msoa].set_index("area_code")
    by_lsoa = lookup[is_lsoa].set_index("area_code")
    result = pd.DataFrame(index=small_areas["code"])
    via_msoa = small_areas.set_index("code")["neighbourhood_code"]
    result["hub"] = via_msoa.map(by_msoa["hub"])
    result["hub_basis"] = via_msoa.map(by_msoa["basis"])
    result.loc[by_lsoa.index, "hub"] = by_lsoa["hub"]
    result.loc[by_lsoa.index, "hub_basis"] = by_lsoa["basis"]
    result["hub"] = result["hub"].fillna(schema.NOT_ASSIGNED)
    result["hub_basis"] = result["hub_basis"].fillna("no official lookup loaded")
    return result.reset_index()


def approximate(basis: pd.Series) -> pd.Series:
    """True where the lookup's basis says the membership is approximate."""
    return basis.str.lower().str.startswith("approximate")
