{#- The range checks of several columns of a model in one query, one dbt node (accepted_range
    is a node per column, and a build's nodes cost it more than their queries: issue 20).
    `ranges`: a list of {column, min_value, max_value, inclusive} as accepted_range takes them
    (either bound optional, nulls ignored). Fails with one row per range some rows fall out of,
    and how many. -#}
{% test accepted_ranges(model, ranges) %}

    with out_of_range_counts as (
        select
            {% for checked in ranges -%}
                count(*) filter (
                    where {{ out_of_range(
                        checked.column, checked.get('min_value'), checked.get('max_value'), checked.get('inclusive', true)
                    ) }}
                ) as out_of_range_{{ loop.index }}{{ ',' if not loop.last }}
            {% endfor %}
        from {{ model }}
    ),

    per_range as (
        {% for checked in ranges -%}
            select
                '{{ checked.column }}' as column_name,
                {{ loop.index }} as range_number,
                out_of_range_{{ loop.index }} as out_of_range_rows
            from out_of_range_counts
            {{ 'union all' if not loop.last }}
        {% endfor %}
    ),

    final as (
        select * from per_range
        where out_of_range_rows > 0
    )

    select * from final

{% endtest %}
