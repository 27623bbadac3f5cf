{#- The not-null check of several columns of a model in one query, one dbt node (dbt's
    not_null is a node per column, and a build's nodes cost it more than their queries: issue
    20). Fails with one row per column of `column_names` holding nulls, and how many. -#}
{% test not_null_columns(model, column_names) %}

    with null_counts as (
        select
            {% for checked_column in column_names -%}
                count(*) filter (where {{ checked_column }} is null) as null_rows_{{ loop.index }}{{ ',' if not loop.last }}
            {% endfor %}
        from {{ model }}
    ),

    per_column as (
        {% for checked_column in column_names -%}
            select
                '{{ checked_column }}' as column_name,
                null_rows_{{ loop.index }} as null_rows
            from null_counts
            {{ 'union all' if not loop.last }}
        {% endfor %}
    ),

    final as (
        select * from per_column
        where null_rows > 0
    )

    select * from final

{% endtest %}
