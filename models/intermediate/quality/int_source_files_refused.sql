{#- Input files the build refuses, one row each, with the one line that says why. A file
    whose rows mostly fail one quarantine rule (more than var quarantine_max_share_per_rule
    of them) has a format problem, not bad rows: its rows would be lost to quarantine and its
    store published empty or thinned. A store whose main table lost every row is refused too.
    Guarded by an error-severity test. Each refusal is logged as soon as this model is built
    (post-hook): under --fail-fast dbt can stop before the on-run-end hook that publishes,
    which keeps the served warehouse (macros/publish.sql). -#}
{{ config(post_hook="{{ log_refused_input_files(this) }}") }}
{%- set max_share = quarantine_max_share_per_rule() %}
{%- set main_tables = "'online_retail__invoice_lines', 'olist__orders'" %}
with
{% for table in staged_source_tables() %}
    {{ table.base }} as (
        select * from {{ ref(table.base) }}
    ),
{% endfor %}

quarantined_rows as (
    select * from {{ ref('int_source_rows_quarantined') }}
),

file_rows as (
    {% for table in staged_source_tables() %}
        select
            '{{ table.store }}' as store,
            '{{ table.source_table }}' as source_table,
            source_file,
            count(*) as file_row_count,
            count(*) filter (where quarantine_reason is null) as usable_row_count
        from {{ table.base }}
        group by source_file
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

rule_rows as (
    select
        source_table,
        source_file,
        quarantine_reason,
        count(*) as rule_row_count,
        -- The rule's first row in file order (sheet, then row number).
        arg_min(source_sheet, [coalesce(source_sheet, ''), lpad(cast(source_row_number as varchar), 12, '0')])
            as example_sheet,
        arg_min(source_row_number, [coalesce(source_sheet, ''), lpad(cast(source_row_number as varchar), 12, '0')])
            as example_row_number
    from quarantined_rows
    group by source_table, source_file, quarantine_reason
),

-- The raw text of each rule's first row, as the file has it: the example value. The raw
-- tables are read by name: landed by the base models above, and source() would land them again.
examples as (
    {% for table in staged_source_tables() %}
        select
            rule_rows.source_table,
            rule_rows.source_file,
            rule_rows.quarantine_reason,
            left(cast(to_json(raw_rows) as varchar), 300) as example_row  -- noqa: RF02
        from rule_rows
        inner join raw.{{ table.source_table }} as raw_rows
            on
                rule_rows.source_file = raw_rows._source_file
                and rule_rows.example_row_number = raw_rows._source_row_number
                {%- if table.get('has_sheet') %}
                    and rule_rows.example_sheet is not distinct from raw_rows._source_sheet
                {%- endif %}
        where rule_rows.source_table = '{{ table.source_table }}'
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

rules_over_share as (
    select
        file_rows.store,
        file_rows.source_table,
        file_rows.source_file,
        rule_rows.quarantine_reason as rule,
        rule_rows.rule_row_count,
        file_rows.file_row_count,
        examples.example_row
    from rule_rows
    inner join file_rows
        on
            rule_rows.source_table = file_rows.source_table
            and rule_rows.source_file = file_rows.source_file
    left outer join examples
        on
            rule_rows.source_table = examples.source_table
            and rule_rows.source_file = examples.source_file
            and rule_rows.quarantine_reason = examples.quarantine_reason
    where rule_rows.rule_row_count > {{ max_share }} * file_rows.file_row_count
),

stores_emptied as (
    select
        store,
        source_table,
        string_agg(source_file, ', ' order by source_file) as source_file,
        'every row quarantined (the store would be published empty)' as rule,
        sum(file_row_count) - sum(usable_row_count) as rule_row_count,
        sum(file_row_count) as file_row_count,
        cast(null as varchar) as example_row
    from file_rows
    where source_table in ({{ main_tables }})
    group by store, source_table
    having sum(file_row_count) > 0 and sum(usable_row_count) = 0
),

refusals as (
    select * from rules_over_share
    union all
    select stores_emptied.* from stores_emptied
    anti join rules_over_share
        on stores_emptied.source_table = rules_over_share.source_table
),

final as (
    select
        store,
        source_table,
        source_file,
        rule,
        cast(rule_row_count as bigint) as rule_row_count,
        cast(file_row_count as bigint) as file_row_count,
        example_row,
        'input file ' || source_file || ': ' || rule_row_count || ' of its ' || file_row_count
        || ' rows fail the quarantine rule "' || rule || '"'
        || coalesce(', e.g. ' || example_row, '')
        || '; expected: at most a share of ' || {{ max_share }}
        || ' of a file''s rows failing one rule (var quarantine_max_share_per_rule)' as message
    from refusals
)

select * from final
