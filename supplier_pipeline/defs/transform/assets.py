"""dbt models as assets: staging, intermediate and the marts, built in one dbt run."""

import os

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from supplier_pipeline.defs.resources import WarehouseResource
from supplier_pipeline.defs.transform.project import dbt_project
from supplier_pipeline.lib.tables import TABLES


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, pool="warehouse")
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                     warehouse: WarehouseResource):
    store = warehouse.get()
    # Sources that no asset has written yet (say, before the first catalogue sync) exist empty,
    # so the models build from whatever data there is.
    with store.connect() as connection:
        store.ensure_tables(connection, list(TABLES))
    # dbt runs as a subprocess that inherits this environment: point it at our warehouse.
    os.environ.update(store.dbt_environment())
    yield from dbt.cli(["build"], context=context).stream()
