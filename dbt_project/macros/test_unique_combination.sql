{% test unique_combination(model, columns) %}
{# No two rows share these columns (dbt_utils is not installed: no network for packages). #}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
