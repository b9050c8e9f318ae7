"""The instance variants in deploy/ load as Dagster instances on PostgreSQL and fit the
docker-compose deployment they are written for. There is no Docker engine in the test
environment, so the Docker variant is checked up to the launcher (config, class, the
containers it would create), not by starting a container; the Celery variant runs for real
in test_celery.py."""

import re
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
    compose = read_yaml(ROOT / "docker-compose.yml")
    pipeline = compose["x-pipeline"]
    with load_instance("dagster.docker.yaml") as instance:
        launcher = instance.run_launcher
        assert isinstance(launcher, DockerRunLauncher)
        assert launcher.image == pipeline["image"]
        assert launcher.networks == [f"{COMPOSE_PROJECT}_default"]
        volumes = dict(v.split(":", 1) for v in launcher.container_kwargs["volumes"])
        mounted = dict(v.split(":", 1) for v in pipeline["volumes"])
        assert volumes == {f"{COMPOSE_PROJECT}_{name}": path for name, path in mounted.items()}
        base_dir = instance.compute_log_manager.inst_data.config_dict["base_dir"]
        assert any(base_dir.startswith(path + "/") for path in volumes.values())


def test_docker_launcher_passes_only_variables_the_daemon_has():
    """The launcher copies each listed variable from the daemon's environment and refuses to
    launch when one is missing: every name must be in .env.example (which .env is copied
    from) or set by docker-compose.yml itself."""
    launcher = read_yaml(ROOT / "deploy" / "dagster.docker.yaml")["run_launcher"]["config"]
    example = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(),
                             re.MULTILINE))
    compose = set(read_yaml(ROOT / "docker-compose.yml")["x-pipeline"]["environment"])
    assert set(launcher["env_vars"]) - example - compose == set()
