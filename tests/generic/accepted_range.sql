{#- Fails for values outside [min_value, max_value] (either bound optional, nulls ignored;
    several columns of a model in one node: accepted_ranges). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}

    with checked as (
        select {{ column_name }} as checked_value
        from {{ model }}
    ),

    final as (
        select * from checked
        where {{ out_of_range('checked_value', min_value, max_value, inclusive) }}
    )

    select * from final

{% endtest %}
