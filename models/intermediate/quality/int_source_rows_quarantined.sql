{#- Every raw row that staging could not use, with the reason: the quarantine. -#}
with
{% for table in staged_source_tables() %}
    {{ table.base }} as (
        select * from {{ ref(table.base) }}
    ),
{% endfor %}

quarantined as (
    {% for table in staged_source_tables() %}
        select
            '{{ table.store }}' as store,
            '{{ table.source_table }}' as source_table,
            source_file,
            {{ 'source_sheet' if table.get('has_sheet') else 'null::varchar as source_sheet' }},
            source_row_number,
            record_key,
            quarantine_reason
        from {{ table.base }}
        where quarantine_reason is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select * from quarantined
)

select * from final
