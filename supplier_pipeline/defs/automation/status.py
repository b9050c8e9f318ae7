"""Whether schedules and sensors start running by themselves.

In production they do (a fresh deployment scrapes, transforms and alerts with nobody clicking
"start"); on a laptop they wait to be switched on. `SUPPLIER_PIPELINE_AUTOMATION=off` holds them
in production, `on` starts them anywhere. A toggle in the UI overrides this default per item.
"""

import dagster as dg

from supplier_pipeline.lib import settings


def default_schedule_status() -> dg.DefaultScheduleStatus:
    return (dg.DefaultScheduleStatus.RUNNING if settings.current().automation_on
            else dg.DefaultScheduleStatus.STOPPED)


def default_sensor_status() -> dg.DefaultSensorStatus:
    return (dg.DefaultSensorStatus.RUNNING if settings.current().automation_on
            else dg.DefaultSensorStatus.STOPPED)
