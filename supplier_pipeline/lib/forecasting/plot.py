"""A small PNG of recent weekly demand and the forecast, for asset metadata."""

from __future__ import annotations

import base64
import io

import pandas as pd


def forecast_plot_png(history: pd.DataFrame, forecast: pd.DataFrame, part_ids: list[str],
                      weeks_back: int = 26) -> bytes:
    """Weekly demand of each part (last `weeks_back` weeks), then its forecast mean and q90."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(len(part_ids), 1, figsize=(8, 1.8 * len(part_ids)), sharex=True,
                                squeeze=False)
    end = history["ds"].max()
    for axis, part in zip(axes[:, 0], part_ids, strict=True):
        past = (history[(history["unique_id"] == part)
                        & (history["ds"] > end - pd.Timedelta(weeks=weeks_back))]
                .set_index("ds")["y"].resample("W").sum())
        future = forecast[forecast["part_id"] == part].set_index("ds")
        future.index = pd.to_datetime(future.index)
        weekly = future[["mean", "q90"]].resample("W").sum()
        axis.bar(past.index, past.to_numpy(), width=5, color="#7a8ca3", label="demand / week")
        axis.plot(weekly.index, weekly["mean"], color="#d9480f", label="forecast mean")
        axis.fill_between(weekly.index, 0, weekly["q90"], color="#d9480f", alpha=0.15,
                          label="up to q90 (daily q90 summed)")
        axis.set_title(part, fontsize=8, loc="left")
        axis.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    return buffer.getvalue()


def markdown_image(png: bytes, alt: str) -> str:
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"
