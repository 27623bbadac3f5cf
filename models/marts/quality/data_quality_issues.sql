{#- Every data-quality finding of the build in one place: quarantined rows by reason,
    flagged quirks, reconciliation differences and missing input files. -#}
with online_retail_issues as (
    select * from {{ ref('int_online_retail_quality_issues_counted') }}
),

olist_issues as (
    select * from {{ ref('int_olist_quality_issues_counted') }}
),

closed_weekday_sales as (
    select * from {{ ref('int_closed_weekday_sales_counted') }}
),

quarantined_rows as (
    select * from {{ ref('int_source_rows_quarantined') }}
),

file_loads as (
    select * from {{ ref('stg_landing__file_loads') }}
),

build_changes as (
    select * from {{ ref('int_build_changes_checked') }}
),

quarantine_reasons as (
    select
        store,
        source_table,
        quarantine_reason as rule,
        'quarantined' as issue_kind,
        count(*) as row_count,
        min(record_key) as example_key
    from quarantined_rows
    group by store, source_table, quarantine_reason
),

missing_files as (
    select
        store,
        source_table,
        'input file missing: ' || detail as rule,
        'missing_file' as issue_kind,
        0 as row_count,
        file_path as example_key
    from file_loads
    where status = 'missing'
),

build_change_issues as (
    select
        store,
        split_part(item, ': ', 1) as source_table,
        check_name
        || case when item like '%: %' then ': ' || substr(item, strpos(item, ': ') + 2) else '' end
        || ' (' || store || ')' as rule,
        'build_change' as issue_kind,
        row_count,
        value_change as example_key
    from build_changes
),

unioned as (
    select * from online_retail_issues
    union all
    select * from olist_issues
    union all
    select * from closed_weekday_sales
    union all
    select * from quarantine_reasons
    union all
    select * from missing_files
    union all
    select * from build_change_issues
),

final as (
    select
        store,
        source_table,
        rule,
        issue_kind,
        cast(row_count as bigint) as rows,
        example_key
    from unioned
)

select * from final
