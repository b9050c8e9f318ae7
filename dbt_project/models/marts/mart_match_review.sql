{# Offers whose match a person should confirm: unmatched ones with a best guess, and matches
   made from the title alone. Confirm or correct them in seeds/part_match_overrides.csv. #}
with

matches as (

    select * from {{ ref('int_offers_matched_to_parts') }}

)

select
    supplier_id,
    supplier_sku,
    title,
    match_method,
    confidence,
    part_id,
    candidate_part_id
from matches
where match_method in ('fuzzy', 'unmatched', 'title_attributes')
