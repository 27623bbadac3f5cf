{#- Build-over-build checks (warnings, never blocking): this build's measures
    (int_build_measures) against those of the previous published build, which
    meta.build_history keeps (the publish step appends each published build). A row per
    finding: rows of an input file or a mart moving more than var
    build_change_max_share, a quarantine rule that catches rows for the first time, a mart
    whose columns or types changed, a store whose data end has not moved for
    var build_stale_after_days days. The post-hook says each in the build log;
    marts.data_quality_issues counts them (issue_kind build_change). -#}
{{ config(post_hook="{{ log_build_changes(this) }}") }}
{%- set history = build_history_relation() -%}
with measures as (
    select * from {{ ref('int_build_measures') }}
),

{% if history is not none %}
    history as (
        select * from {{ history }}
    ),

    previous_build as (
        select
            invocation_id,
            published_at
        from history
        order by published_at desc
        limit 1
    ),

    previous as (
        select
            history.*,
            previous_build.published_at as previous_published_at
        from history
        inner join previous_build
            on history.invocation_id = previous_build.invocation_id
    ),
{% else %}
    previous as (
        select
            measures.*,
            cast(null as timestamptz) as previous_published_at
        from measures
        where false
    ),
{% endif %}

compared as (
    select
        coalesce(measures.store, previous.store) as store,
        coalesce(measures.measure_kind, previous.measure_kind) as measure_kind,
        coalesce(measures.item, previous.item) as item,
        previous.row_count as previous_rows,
        measures.row_count as current_rows,
        previous.schema_hash as previous_schema_hash,
        measures.schema_hash as current_schema_hash,
        previous.data_end_date as previous_data_end,
        measures.data_end_date as current_data_end,
        previous.previous_published_at,
        measures.item is not null as is_measured_now,
        previous.item is not null as was_measured_before
    from measures
    full outer join previous
        on
            measures.store = previous.store
            and measures.measure_kind = previous.measure_kind
            and measures.item = previous.item
),

rows_moved as (
    select
        store,
        item,
        'rows moved more than '
        || cast(round(100 * {{ number_var_literal('build_change_max_share', 0) }}) as integer)
        || '% since the previous published build' as check_name,
        coalesce(current_rows, 0) as row_count,
        cast(previous_rows as varchar) || ' -> ' || cast(coalesce(current_rows, 0) as varchar) as value_change
    from compared
    where
        measure_kind in ('input_file', 'table')
        and was_measured_before
        and abs(coalesce(current_rows, 0) - previous_rows)
        > {{ number_var_literal('build_change_max_share', 0) }} * greatest(previous_rows, 1)
),

new_quarantine_rules as (
    select
        store,
        item,
        'quarantine rule catching rows for the first time since the previous published build' as check_name,
        current_rows as row_count,
        '0 -> ' || cast(current_rows as varchar) as value_change
    from compared
    where
        measure_kind = 'quarantine_rule'
        and is_measured_now
        and not was_measured_before
        and exists (select 1 from previous)
),

schema_changes as (
    select
        store,
        item,
        'columns or types changed since the previous published build' as check_name,
        current_rows as row_count,
        previous_schema_hash || ' -> ' || current_schema_hash as value_change
    from compared
    where
        measure_kind = 'table'
        and is_measured_now
        and was_measured_before
        and current_schema_hash is distinct from previous_schema_hash
),

stale_data as (
    select
        store,
        item,
        'data end not later than the previous published build''s, '
        || {{ number_var_literal('build_stale_after_days', 0, integer=true) }}
        || ' or more days after it' as check_name,
        0 as row_count,
        cast(previous_data_end as varchar) || ' -> ' || cast(current_data_end as varchar) as value_change
    from compared
    where
        measure_kind = 'data_end'
        and current_data_end <= previous_data_end
        and now() - previous_published_at
        >= to_days({{ number_var_literal('build_stale_after_days', 0, integer=true) }})
),

findings as (
    select * from rows_moved
    union all
    select * from new_quarantine_rules
    union all
    select * from schema_changes
    union all
    select * from stale_data
),

final as (
    select
        store,
        item,
        check_name,
        cast(row_count as bigint) as row_count,
        value_change,
        'build change: ' || item || ' (' || store || '): ' || check_name || ' (' || value_change || ')' as message
    from findings
)

select * from final
