{#- The grain test for tables keyed by several columns: no two rows share the combination. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

    with grouped as (
        select
            {{ combination_of_columns | join(', ') }},
            count(*) as row_count
        from {{ model }}
        group by all
    ),

    final as (
        select * from grouped
        where row_count > 1
    )

    select * from final

{% endtest %}
