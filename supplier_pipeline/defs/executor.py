"""The executor every job of this code location runs its steps with, chosen by the deployment.

SUPPLIER_PIPELINE_EXECUTOR unset or empty keeps Dagster's default (each step in a subprocess
of the run). `celery` sends every step to Celery workers started with `deploy/celery.yaml`:
the scrapes, which fetch, parse and hold the memory, run on as many machines as there are
workers, while each run's own process only hands its steps over and waits. Broker and result
backend are read from the environment when a run starts, never stored in the definitions or
the run's config.
"""

import dagster as dg
from dagster_celery import celery_executor

from supplier_pipeline.lib import settings

EXECUTORS = ("celery",)


def celery_queue() -> str:
    """The queue this code location's steps go to: workers must listen on the same one
    (`-q`), so several code locations or test runs can share one broker."""
    return settings.current().celery_queue


def choose_executor(name: str) -> dg.ExecutorDefinition | None:
    """The executor for SUPPLIER_PIPELINE_EXECUTOR's value; None keeps Dagster's default."""
    if not name:
        return None
    if name == "celery":
        return celery_executor.configured({
            "broker": {"env": "CELERY_BROKER_URL"},
            "backend": {"env": "CELERY_BACKEND_URL"},
            "config_source": {"task_default_queue": celery_queue()},
        })
    raise ValueError(f"SUPPLIER_PIPELINE_EXECUTOR={name!r}: expected unset or one of {EXECUTORS}")


@dg.definitions
def executor() -> dg.Definitions:
    return dg.Definitions(executor=choose_executor(settings.current().executor or ""))
