{#-
    Reconciliation: a mart's totals against those of the relation it summarises (the facts),
    used by the generic tests totals_match and sales_period_matches_facts (tests/generic).

    totals_differences(model, to, measures, group_by, to_group_by, model_filter, to_filter)
    aggregates both relations by their group columns (group_by on `model`, to_group_by on `to`,
    the same list when not given; none: one total each) and returns one row per group and
    measure that differs:

        group_key   the group's values joined by ' | ' ('all' without group columns)
        measure     the measure, as written for `model`
        model_value, to_value

    A measure is [aggregate on model, aggregate on to], or one aggregate for both. A group
    missing on one side counts as 0 there, so totals compare as sums: a mart row without
    orders and a day without any fact both count 0.
-#}
{% macro totals_differences(
    model, to, measures, group_by=[], to_group_by=none, model_filter=none, to_filter=none
) -%}
    {%- set to_group_by = group_by if to_group_by is none else to_group_by -%}
    {%- if group_by | length != to_group_by | length -%}
        {{ exceptions.raise_compiler_error("totals_differences: group_by and to_group_by differ in length") }}
    {%- endif -%}
    {%- set sides = [
        {'name': 'model_totals', 'relation': model, 'group_by': group_by, 'filter': model_filter, 'index': 0},
        {'name': 'to_totals', 'relation': to, 'group_by': to_group_by, 'filter': to_filter, 'index': 1},
    ] -%}
with
{% for side in sides %}
    {{ side.name }} as (
        select
            {%- for column in side.group_by %}
                {{ column }} as group_{{ loop.index }},
            {%- endfor %}
            {%- for measure in measures %}
                {{ measure if measure is string else measure[side.index] }} as measure_{{ loop.index }}
                {{- ',' if not loop.last }}
            {%- endfor %}
        from {{ side.relation }}
        where {{ side.filter or 'true' }}
        {%- if side.group_by %}
            group by all
        {%- endif %}
    ),
{% endfor %}

compared as (
    select
        {%- if group_by %}
            concat_ws(
                ' | '
                {%- for column in group_by -%}
                    , cast(coalesce(model_totals.group_{{ loop.index }}, to_totals.group_{{ loop.index }}) as varchar)
                {%- endfor %}
            ) as group_key,
        {%- else %}
            'all' as group_key,
        {%- endif %}
        {%- for measure in measures %}
            model_totals.measure_{{ loop.index }} as model_measure_{{ loop.index }},
            to_totals.measure_{{ loop.index }} as to_measure_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from model_totals
    full outer join to_totals
        on
            {%- for column in group_by %}
                model_totals.group_{{ loop.index }} is not distinct from to_totals.group_{{ loop.index }}
                {{- ' and' if not loop.last }}
            {%- else %}
                true
            {%- endfor %}
),

final as (
    {%- for measure in measures %}
        select
            group_key,
            '{{ (measure if measure is string else measure[0]) | replace("'", "''") }}' as measure,
            cast(model_measure_{{ loop.index }} as double) as model_value,
            cast(to_measure_{{ loop.index }} as double) as to_value
        from compared
        where coalesce(model_measure_{{ loop.index }}, 0) <> coalesce(to_measure_{{ loop.index }}, 0)
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select * from final
{%- endmacro %}
