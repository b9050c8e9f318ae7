# One image for every service of docker-compose.yml (code server, webserver, daemon, setup).
FROM python:3.11-slim

# Chromium for JavaScript pages; the PostgreSQL client for `supplier-pipeline backup`.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       chromium postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/supplier_pipeline
# The same pinned set as `make` installs (requirements.lock), so the image runs what was tested.
COPY requirements.lock pyproject.toml README.md ./
COPY supplier_pipeline ./supplier_pipeline
COPY dbt_project ./dbt_project
COPY deploy ./deploy
COPY dagster.yaml workspace.yaml ./
RUN pip install --no-cache-dir -c requirements.lock -e . \
    && cd dbt_project && DBT_SEND_ANONYMOUS_USAGE_STATS=false dbt parse --quiet

ENV DAGSTER_HOME=/opt/dagster/home \
    CHROMIUM_PATH=/usr/bin/chromium \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    SUPPLIER_PIPELINE_BIN=/usr/local/bin

# Nothing runs as root: the services own only the folders they write.
RUN useradd --create-home --uid 10001 pipeline \
    && mkdir -p /opt/dagster/home/storage /state /exchange/shop_inbox /exchange/po_outbox \
       /config/suppliers \
    && cp dagster.yaml /opt/dagster/home/dagster.yaml \
    && chown -R pipeline /opt/dagster/home /state /exchange /opt/supplier_pipeline/dbt_project
USER pipeline
