FROM python:3.11-slim

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/supplier_pipeline
COPY pyproject.toml README.md ./
COPY supplier_pipeline ./supplier_pipeline
COPY dbt_project ./dbt_project
RUN pip install --no-cache-dir -e . \
    && cd dbt_project && DBT_SEND_ANONYMOUS_USAGE_STATS=false dbt parse --quiet

ENV DAGSTER_HOME=/opt/dagster/home \
    CHROMIUM_PATH=/usr/bin/chromium \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false
COPY dagster.yaml workspace.yaml /opt/dagster/home/
