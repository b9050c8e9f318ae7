"""Offer-to-part matching, between the raw scrapes and the dbt marts."""

import dagster as dg

from supplier_pipeline.defs.resources import WarehouseResource

LATEST_DESCRIPTIONS = """
with described as (
    select supplier_id, supplier_sku, observed_at, title, brand, device_model, part_type,
           quality, colour, ean
    from raw.supplier_catalog where gate_status = 'ok'
    union all
    select supplier_id, supplier_sku, observed_at, title, brand, device_model, part_type,
           quality, colour, ean
    from raw.supplier_offers where gate_status = 'ok'
), ranked as (
    select *, row_number() over (partition by supplier_id, supplier_sku
                                 order by (brand is not null) desc, observed_at desc) as recency
    from described
)
select * from ranked where recency = 1
"""


@dg.asset(
    key=["matching", "offer_part_matches"],
    deps=[dg.AssetKey(["raw", "supplier_offers"]), dg.AssetKey(["raw", "supplier_catalog"]),
          dg.AssetKey(["raw", "shop_parts"])],
    group_name="matching",
    kinds={"python", "rapidfuzz"},
    pool="warehouse",
)
def offer_part_matches(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Each supplier offer matched to a shop part by EAN, attributes or title, with confidence."""
    # pandas and rapidfuzz are imported when the asset runs, not when the code location loads.
    import pandas as pd

    from supplier_pipeline.lib.matching import match_offers

    store = warehouse.get()
    # Before the first catalogue sync (or shop ingestion) there is simply less to match.
    with store.connect() as connection:
        store.ensure_tables(connection, ["raw.supplier_catalog", "raw.supplier_offers",
                                         "raw.shop_parts"])
    offers = store.read(LATEST_DESCRIPTIONS)
    parts = store.read("select * from raw.shop_parts")
    parts["colour"] = parts["colour"].replace("", None)
    matches = match_offers(offers, parts)
    rows = [m.__dict__ for m in matches]
    store.replace("matching.offer_part_matches", rows, {})
    methods = pd.Series([m.method for m in matches]).value_counts().to_dict()
    return dg.MaterializeResult(metadata={
        "offers": len(rows), "matched": sum(m.part_id is not None for m in matches),
        "methods": dg.MetadataValue.json({k: int(v) for k, v in methods.items()}),
    })
