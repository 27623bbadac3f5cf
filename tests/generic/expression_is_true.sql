{#- Fails for every row where the SQL expression is not true. -#}
{% test expression_is_true(model, expression, column_name=none) %}

    with final as (
        select * from {{ model }}
        where not coalesce({{ expression }}, false)
    )

    select * from final

{% endtest %}
