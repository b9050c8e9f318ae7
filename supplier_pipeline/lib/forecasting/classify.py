"""Demand classes by the Syntetos-Boylan-Croston cut-offs, plus new and obsolete parts."""

from __future__ import annotations

import warnings

import numpy as np

ADI_CUTOFF = 1.32  # average interval between demands
CV2_CUTOFF = 0.49  # squared coefficient of variation of the demand sizes


def classify(y: np.ndarray, recent: int) -> np.ndarray:
    """One class per series: no_demand, new, obsolete, smooth, erratic, intermittent, lumpy.

    `recent` is the number of periods that counts as "lately": a part whose first demand is
    that recent is new, one with no demand for that long is obsolete.
    """
    demand = y > 0
    count = demand.sum(axis=1)
    periods = y.shape[1]
    first = np.where(count > 0, demand.argmax(axis=1), periods)
    last = np.where(count > 0, periods - 1 - demand[:, ::-1].argmax(axis=1), -1)
    span = periods - first
    adi = np.where(count > 0, span / np.maximum(count, 1), np.inf)
    sizes = np.where(demand, y, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # series without demand: all NaN
        mean = np.nanmean(sizes, axis=1)
        cv2 = np.where(count > 1, np.nanvar(sizes, axis=1) / mean**2, 0.0)
    classes = np.where(adi < ADI_CUTOFF,
                       np.where(cv2 < CV2_CUTOFF, "smooth", "erratic"),
                       np.where(cv2 < CV2_CUTOFF, "intermittent", "lumpy")).astype(object)
    classes[periods - 1 - last >= recent] = "obsolete"
    classes[first >= periods - recent] = "new"
    classes[count == 0] = "no_demand"
    return classes
