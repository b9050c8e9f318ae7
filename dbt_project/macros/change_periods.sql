{# Collapse an offer's observations into periods of equal values: a new period starts
   whenever one of `value_columns` differs from the previous observation. The last period
   ends when the offer goes missing (int_offer_presence.gone_at), otherwise it is current. #}
{% macro change_periods(observations, value_columns) %}

with

flagged_changes as (

    select
        observations.*,
        case
            {%- for column in value_columns %}
            when lag({{ column }}) over offer_timeline is distinct from {{ column }} then 1
            {%- endfor %}
            else 0
        end as starts_period
    from {{ observations }} as observations
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
        max(observed_at) as last_observed_at,
        count(*) as observations
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
        bounded_periods.observations,
        bounded_periods.last_observed_at
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
