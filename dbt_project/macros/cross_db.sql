{# Differences between DuckDB and PostgreSQL, in one place. #}

{% macro hours_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('hours_between')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__hours_between(start_ts, end_ts) -%}
    (extract(epoch from ({{ end_ts }})) - extract(epoch from ({{ start_ts }}))) / 3600.0
{%- endmacro %}

{% macro current_ts() -%}
    {{ return(adapter.dispatch('current_ts')()) }}
{%- endmacro %}

{% macro default__current_ts() -%}
    current_timestamp
{%- endmacro %}

{% macro week_of(ts) -%}
    {{ return(adapter.dispatch('week_of')(ts)) }}
{%- endmacro %}

{% macro default__week_of(ts) -%}
    cast(date_trunc('week', {{ ts }}) as date)
{%- endmacro %}
