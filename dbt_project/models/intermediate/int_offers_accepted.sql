{# Observations from price/stock scrape partitions that passed the quality gate. A
   quarantined partition contributes nothing, so it can never look like a change. #}
select *
from {{ ref('stg_scrape__offers') }}
where gate_status = 'ok'
