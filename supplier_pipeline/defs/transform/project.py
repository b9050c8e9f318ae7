"""The dbt project, located once for the assets and the resource."""

from pathlib import Path

from dagster_dbt import DbtProject

from supplier_pipeline.lib.settings import PROJECT_ROOT

dbt_project = DbtProject(project_dir=Path(PROJECT_ROOT, "dbt_project"))
dbt_project.prepare_if_dev()
