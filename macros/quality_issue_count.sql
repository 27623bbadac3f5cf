{#- One row of data-quality counting: how many rows of `relation` match `condition`, with
    the smallest key as example. Unioned by the int_*_quality_issues_counted models. -#}
{% macro quality_issue_count(store, source_table, rule, relation, condition, key_expression, issue_kind='flagged') -%}
    select
        '{{ store }}' as store,
        '{{ source_table }}' as source_table,
        '{{ rule }}' as rule,
        '{{ issue_kind }}' as issue_kind,
        count(*) as row_count,
        min({{ key_expression }}) as example_key
    from {{ relation }}
    where {{ condition }}
{%- endmacro %}
