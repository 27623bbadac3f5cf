{#- raw = staged + quarantined for every raw table: nothing is lost silently. -#}
with
{% for table in staged_source_tables() %}
    {{ table.base }} as (
        select * from {{ ref(table.base) }}
    ),

    {{ table.staging }} as (
        select * from {{ ref(table.staging) }}
    ),
{% endfor %}

quarantined_rows as (
    select * from {{ ref('int_source_rows_quarantined') }}
),

table_counts as (
    {% for table in staged_source_tables() %}
        select
            '{{ table.store }}' as store,
            '{{ table.source_table }}' as source_table,
            (select count(*) from {{ table.base }}) as raw_rows,
            (select count(*) from {{ table.staging }}) as staged_rows
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

quarantine_counts as (
    select
        source_table,
        count(*) as quarantined_rows
    from quarantined_rows
    group by source_table
),

final as (
    select
        table_counts.store,
        table_counts.source_table,
        table_counts.raw_rows,
        table_counts.staged_rows,
        coalesce(quarantine_counts.quarantined_rows, 0) as quarantined_rows
    from table_counts
    left outer join quarantine_counts
        on table_counts.source_table = quarantine_counts.source_table
)

select * from final
