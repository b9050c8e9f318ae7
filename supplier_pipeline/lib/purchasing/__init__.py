"""Purchasing: the replenishment policy, proposals, the PO ledger and its files."""

from supplier_pipeline.lib.purchasing.policy import order_up_to_levels

__all__ = ["order_up_to_levels"]
