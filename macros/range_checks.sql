{#- The condition a value `expression` fails a range on: below min_value or above max_value
    (either bound optional; inclusive: the bounds are accepted), nulls never failing (tests
    accepted_range and accepted_ranges, tests/generic/). -#}
{% macro out_of_range(expression, min_value=none, max_value=none, inclusive=true) -%}
    {%- set above_min = 'true' if min_value is none
        else expression ~ ' ' ~ ('>=' if inclusive else '>') ~ ' ' ~ min_value -%}
    {%- set below_max = 'true' if max_value is none
        else expression ~ ' ' ~ ('<=' if inclusive else '<') ~ ' ' ~ max_value -%}
    ({{ expression }} is not null and not ({{ above_min }} and {{ below_max }}))
{%- endmacro %}
