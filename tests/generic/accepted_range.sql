{#- Fails for values outside [min_value, max_value] (either bound optional, nulls ignored). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {%- set above_min = 'true' if min_value is none
        else 'checked_value ' ~ ('>=' if inclusive else '>') ~ ' ' ~ min_value %}
    {%- set below_max = 'true' if max_value is none
        else 'checked_value ' ~ ('<=' if inclusive else '<') ~ ' ' ~ max_value %}

    with checked as (
        select {{ column_name }} as checked_value
        from {{ model }}
        where {{ column_name }} is not null
    ),

    final as (
        select * from checked
        where not ({{ above_min }} and {{ below_max }})
    )

    select * from final

{% endtest %}
