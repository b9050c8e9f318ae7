"""Demand forecasting for spare parts (pure Python, no Dagster)."""

from supplier_pipeline.lib.forecasting.core import forecast, lead_time_demand_quantile

__all__ = ["forecast", "lead_time_demand_quantile"]
