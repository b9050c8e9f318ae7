"""How past forecasts compared with the demand that followed."""

from __future__ import annotations

import pandas as pd


def summarise_accuracy(compared: pd.DataFrame) -> pd.DataFrame:
    """`compared` has one row per part and day with the forecast `mean`, `q90`, `method`,
    `demand_class` and the actual `y`; returns one row per method and class."""
    scored = compared.assign(error=compared["mean"] - compared["y"],
                             covered=compared["y"] <= compared["q90"])
    return (scored.groupby(["method", "demand_class"])
            .agg(part_days=("y", "size"),
                 mean_absolute_error=("error", lambda e: e.abs().mean()),
                 bias=("error", "mean"), q90_coverage=("covered", "mean"))
            .reset_index())
