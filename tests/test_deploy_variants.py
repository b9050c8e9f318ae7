"""The instance variants in deploy/ load as Dagster instances on PostgreSQL and fit the
docker-compose deployment they are written for. There is no Docker engine in the test
environment, so the Docker variant is checked up to the launcher (config, class, the
containers it would create), not by starting a container; the Celery variant runs for real
in test_celery.py."""

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import pytest
import yaml
from dagster_docker import DockerRunLauncher
from dagster_postgres import PostgresRunStorage

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_PROJECT = "supplier_pipeline"  # the project name deploy/dagster.docker.yaml assumes
VARIANTS = ["dagster.celery.yaml", "dagster.docker.yaml"]


def read_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.fixture
def load_instance(postgres_dsn, tmp_path, monkeypatch):
    """Load a deploy/ variant as the instance of a fresh DAGSTER_HOME on the test database."""
    dsn = urlsplit(postgres_dsn)
    for name, value in {"DAGSTER_POSTGRES_HOST": dsn.hostname,
                        "DAGSTER_POSTGRES_PORT": str(dsn.port or 5432),
                        "DAGSTER_POSTGRES_USER": dsn.username or "postgres",
                        "DAGSTER_POSTGRES_PASSWORD": dsn.password or "",
                        "DAGSTER_POSTGRES_DB": dsn.path[1:]}.items():
        monkeypatch.setenv(name, value)

    def load(variant: str) -> dg.DagsterInstance:
        home = tmp_path / variant
        home.mkdir()
        shutil.copy(ROOT / "deploy" / variant, home / "dagster.yaml")
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        return dg.DagsterInstance.get()

    return load


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_loads_on_postgres_with_run_limits(load_instance, variant):
    expected = read_yaml(ROOT / "deploy" / variant)["concurrency"]
    with load_instance(variant) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        instance.get_runs()  # the storage answers
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == expected["runs"]["max_concurrent_runs"]
        assert instance.global_op_concurrency_default_limit == expected["pools"]["default_limit"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_shares_the_deployments_storage(variant):
    assert (read_yaml(ROOT / "deploy" / variant)["storage"]
            == read_yaml(ROOT / "dagster.yaml")["storage"])


def test_docker_launcher_fits_the_compose_deployment(load_instance):
    """Run containers use docker-compose.yml's image, network and named volumes (prefixed
    with the project name, as compose names them), mounted where user_code mounts them."""
    compose = read_yaml(ROOT / "docker-compose.yml")
    user_code = compose["services"]["user_code"]
    with load_instance("dagster.docker.yaml") as instance:
        launcher = instance.run_launcher
        assert isinstance(launcher, DockerRunLauncher)
        assert launcher.image == user_code["image"]
        assert launcher.networks == [f"{COMPOSE_PROJECT}_default"]
        volumes = dict(v.split(":", 1) for v in launcher.container_kwargs["volumes"])
    mounts = dict(v.split(":", 1) for v in user_code["volumes"])
    named = {f"{COMPOSE_PROJECT}_{name}": path for name, path in mounts.items()
             if name in compose["volumes"]}
    assert volumes == named


def test_docker_launcher_passes_what_user_code_gets():
    """A run's container loads the code location as user_code does (where runs run today):
    with the variables docker-compose.yml gives it, but for the code server's own address."""
    launcher = read_yaml(ROOT / "deploy" / "dagster.docker.yaml")["run_launcher"]["config"]
    user_code = read_yaml(ROOT / "docker-compose.yml")["services"]["user_code"]
    given = {name for name in user_code["environment"]
             if not name.startswith("DAGSTER_CODE_SERVER_")}
    assert set(launcher["env_vars"]) == given


@pytest.mark.parametrize("variant", VARIANTS)
def test_one_scrape_run_per_supplier_at_a_time(load_instance, variant):
    """The queue holds a second run of a supplier until the first ends: the tag it limits is
    the one every scrape partition's run carries."""
    from supplier_pipeline.defs.partitions import supplier_catalog_days, supplier_price_windows

    with load_instance(variant) as instance:
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    per_supplier = [limit for limit in limits if limit["key"] == "dagster/partition/supplier"]
    assert per_supplier == [{"key": "dagster/partition/supplier",
                             "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]
    for partitions, other in ((supplier_price_windows, "window"), (supplier_catalog_days, "day")):
        key = dg.MultiPartitionKey({"supplier": "teile_feed", other: partitions
                                    .get_partitions_def_for_dimension(other)
                                    .get_first_partition_key()})
        assert partitions.get_tags_for_partition_key(key)[
            "dagster/partition/supplier"] == "teile_feed"
