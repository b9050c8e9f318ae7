{# Change periods of supplier offers, built incrementally.

   `observations` is a CTE of accepted observations with supplier_id, supplier_sku,
   observed_at and `value_columns`; a new period starts whenever one of the values differs
   from the previous observation of the offer. The last period ends when the offer goes
   missing (int_offer_presence.gone_at), otherwise it is current.

   A full build reads every observation. An incremental build decides per supplier, from the
   scrape rows loaded since its last build (any gate status, so a re-run that quarantined a
   partition counts too):
   - append: every new scrape window starts after the last observation already folded in.
     Only the last period of each of the supplier's offers is re-read, as one observation
     that carries its count, followed by the new observations; the result replaces those
     periods by (supplier_id, supplier_sku, valid_from).
   - rebuild: a window arrived out of order or was re-run. The pre-hook
     `forget_rebuilt_suppliers` deletes the supplier's periods and all its observations are
     read again, exactly as in a full build.
   Suppliers with nothing new are left alone; `refresh_part_ids` keeps their matches current.
#}

{% macro history_modes(history) %}
    {#- Per supplier with scrape rows loaded since `history` was built: append or rebuild.
        A supplier already built looks only at its rows loaded after its last build, which
        PostgreSQL reads through the (supplier_id, loaded_at) index; a supplier never built
        is rebuilt from all its rows. -#}
    select
        built.supplier_id,
        case
            when arrivals.earliest_window > built.observed_until then 'append'
            else 'rebuild'
        end as build_mode,
        built.observed_until,
        arrivals.loaded_through
    from (
        select
            supplier_id,
            max(loaded_through) as loaded_through,
            max(last_observed_at) as observed_until
        from {{ history }}
        group by supplier_id
    ) as built
    cross join lateral (
        select
            min(scrape_rows.window_start) as earliest_window,
            max(scrape_rows.loaded_at) as loaded_through
        from {{ ref('stg_scrape__offers') }} as scrape_rows
        where scrape_rows.supplier_id = built.supplier_id
            and scrape_rows.loaded_at > built.loaded_through
    ) as arrivals
    where arrivals.earliest_window is not null

    union all

    select
        scrape_rows.supplier_id,
        'rebuild',
        null,
        max(coalesce(scrape_rows.loaded_at, scrape_rows.observed_at))
    from {{ ref('stg_scrape__offers') }} as scrape_rows
    where scrape_rows.supplier_id not in (select supplier_id from {{ history }})
    group by scrape_rows.supplier_id
{%- endmacro %}


{% macro forget_rebuilt_suppliers() %}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where supplier_id in (
        select supplier_id from ({{ history_modes(this) }}) as modes
        where build_mode = 'rebuild'
    )
    {%- else -%}
    select 1
    {%- endif -%}
{% endmacro %}


{% macro refresh_part_ids() %}
    {#- Matches change without new scrapes (a manual override, a new catalogue): rows the
        incremental build did not touch take the current match. Every offer has a row in
        int_offers_matched_to_parts, with a null part_id while unmatched. -#}
    update {{ this }} as history
    set part_id = matches.part_id
    from {{ ref('int_offers_matched_to_parts') }} as matches
    where history.supplier_id = matches.supplier_id
        and history.supplier_sku = matches.supplier_sku
        and history.part_id is distinct from matches.part_id
{% endmacro %}


{% macro change_periods(observations, value_columns) %}

with

modes as (

    {% if is_incremental() -%}
    {{ history_modes(this) }}
    {%- else -%}
    -- a full build rebuilds every supplier
    select
        supplier_id,
        'rebuild' as build_mode,
        cast(null as {{ dbt.type_timestamp() }}) as observed_until,
        max(coalesce(loaded_at, observed_at)) as loaded_through
    from {{ ref('stg_scrape__offers') }}
    group by supplier_id
    {%- endif %}

),

timeline as (

    -- every accepted observation of a rebuilt supplier, the new ones of an appended supplier
    select
        observations.supplier_id,
        observations.supplier_sku,
        observations.observed_at,
        {%- for column in value_columns %}
        observations.{{ column }},
        {%- endfor %}
        1 as weight,
        observations.observed_at as seen_until,
        modes.loaded_through
    from {{ observations }} as observations
    inner join modes
        on observations.supplier_id = modes.supplier_id
    where modes.build_mode = 'rebuild' or observations.observed_at > modes.observed_until

    {% if is_incremental() %}
    union all

    -- an appended supplier's offers start from their last period, carried as one observation
    select
        last_periods.supplier_id,
        last_periods.supplier_sku,
        last_periods.valid_from,
        {%- for column in value_columns %}
        last_periods.{{ column }},
        {%- endfor %}
        last_periods.observations,
        last_periods.last_observed_at,
        modes.loaded_through
    from (
        select
            history.*,
            row_number() over (
                partition by supplier_id, supplier_sku order by valid_from desc
            ) as recency
        from {{ this }} as history
        where supplier_id in (select supplier_id from modes where build_mode = 'append')
    ) as last_periods
    inner join modes
        on last_periods.supplier_id = modes.supplier_id
    where last_periods.recency = 1
    {% endif %}

),

flagged_changes as (

    select
        timeline.*,
        case
            {%- for column in value_columns %}
            when lag({{ column }}) over offer_timeline is distinct from {{ column }} then 1
            {%- endfor %}
            else 0
        end as starts_period
    from timeline
    window offer_timeline as (partition by supplier_id, supplier_sku order by observed_at)

),

numbered_periods as (

    select
        flagged_changes.*,
        sum(starts_period) over (
            partition by supplier_id, supplier_sku
            order by observed_at
            rows between unbounded preceding and current row
        ) as period_number
    from flagged_changes

),

periods as (

    select
        supplier_id,
        supplier_sku,
        period_number,
        {%- for column in value_columns %}
        min({{ column }}) as {{ column }},
        {%- endfor %}
        min(observed_at) as valid_from,
        max(seen_until) as last_observed_at,
        sum(weight) as observations,
        max(loaded_through) as loaded_through
    from numbered_periods
    group by supplier_id, supplier_sku, period_number

),

bounded_periods as (

    select
        periods.*,
        lead(valid_from) over (
            partition by supplier_id, supplier_sku order by valid_from
        ) as next_valid_from
    from periods

),

final as (

    select
        bounded_periods.supplier_id,
        bounded_periods.supplier_sku,
        matches.part_id,
        {%- for column in value_columns %}
        bounded_periods.{{ column }},
        {%- endfor %}
        bounded_periods.valid_from,
        coalesce(bounded_periods.next_valid_from, presence.gone_at) as valid_to,
        bounded_periods.next_valid_from is null and presence.gone_at is null as is_current,
        cast(bounded_periods.observations as integer) as observations,
        bounded_periods.last_observed_at,
        bounded_periods.loaded_through
    from bounded_periods
    left join {{ ref('int_offers_matched_to_parts') }} as matches
        on bounded_periods.supplier_id = matches.supplier_id
        and bounded_periods.supplier_sku = matches.supplier_sku
    left join {{ ref('int_offer_presence') }} as presence
        on bounded_periods.supplier_id = presence.supplier_id
        and bounded_periods.supplier_sku = presence.supplier_sku

)

select * from final

{% endmacro %}
