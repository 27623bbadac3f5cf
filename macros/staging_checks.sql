{#-
    Staging splits every raw table in two: rows that pass its checks (the stg_ model) and
    rows that cannot be used (quarantined with a reason). Both come from one base_ model
    per raw table, which types the text columns and sets `quarantine_reason` (null = usable)
    and `record_key` (the natural key as text, to find the row again).
-#}

{#- The raw tables of every store, their base and staging models: one list, so quarantine,
    conservation and data-quality marts cover a new table by one line here. -#}
{% macro staged_source_tables() -%}
    {{ return([
        {'store': 'online_retail', 'source_table': 'online_retail__invoice_lines', 'base': 'base_online_retail__invoice_lines', 'staging': 'stg_online_retail__invoice_lines', 'has_sheet': true},
        {'store': 'olist', 'source_table': 'olist__orders', 'base': 'base_olist__orders', 'staging': 'stg_olist__orders'},
        {'store': 'olist', 'source_table': 'olist__customers', 'base': 'base_olist__customers', 'staging': 'stg_olist__customers'},
        {'store': 'olist', 'source_table': 'olist__order_items', 'base': 'base_olist__order_items', 'staging': 'stg_olist__order_items'},
        {'store': 'olist', 'source_table': 'olist__order_payments', 'base': 'base_olist__order_payments', 'staging': 'stg_olist__order_payments'},
        {'store': 'olist', 'source_table': 'olist__order_reviews', 'base': 'base_olist__order_reviews', 'staging': 'stg_olist__order_reviews'},
        {'store': 'olist', 'source_table': 'olist__products', 'base': 'base_olist__products', 'staging': 'stg_olist__products'},
        {'store': 'olist', 'source_table': 'olist__sellers', 'base': 'base_olist__sellers', 'staging': 'stg_olist__sellers'},
        {'store': 'olist', 'source_table': 'olist__geolocation', 'base': 'base_olist__geolocation', 'staging': 'stg_olist__geolocations'},
        {'store': 'olist', 'source_table': 'olist__product_category_name_translation', 'base': 'base_olist__product_category_name_translation', 'staging': 'stg_olist__product_category_translations'},
    ]) }}
{%- endmacro %}

{#- The body of a stg_ model: the base rows that passed every check. An incremental stg_
    model (macros/incremental_groups.sql) reads the base rows of the groups it recomputes,
    by their group_expression. -#}
{% macro rows_passing_checks(base_model, group_expression=none) -%}
with checked as (
    select * from {{ ref(base_model) }}
    {%- if group_expression is not none %}
        where {{ in_changed_groups(group_expression) }}
    {%- endif %}
),

final as (
    select * exclude (quarantine_reason, record_key)
    from checked
    where quarantine_reason is null
)

select * from final
{%- endmacro %}

{#- True for a value that is present in the source but did not survive its cast. -#}
{% macro failed_cast(raw_column, typed_column) -%}
    ({{ raw_column }} is not null and {{ typed_column }} is null)
{%- endmacro %}

{#- True for every row after the first of its key, in file order: duplicates are
    quarantined, the first occurrence is kept. -#}
{% macro is_repeat_of_key(key_columns, file_order='source_file, source_row_number') -%}
    (row_number() over (partition by {{ key_columns | join(', ') }} order by {{ file_order }}) > 1)
{%- endmacro %}

{#- Last plausible event time: var max_event_date, else the build date. Later rows are
    quarantined as "future". -#}
{% macro max_event_timestamp() -%}
    {%- if var('max_event_date') -%}
        cast({{ date_var_literal('max_event_date', var('max_event_date'), max_event_date_form()) }} as timestamp)
        + interval 1 day
    {%- else -%}
        cast(current_date as timestamp) + interval 1 day
    {%- endif -%}
{%- endmacro %}

{#- The largest plausible line amount (quantity x price) in a store's currency: beyond it a
    line is quarantined, and every sum of real lines stays inside DECIMAL(18, 4). -#}
{% macro max_line_amount() -%}
    1e12
{%- endmacro %}

{#- Two CTEs that make rows follow their parent row into quarantine: `followed` is `rows`
    with its quarantine_reason completed by "<parent> quarantined" (the parent key has rows
    in parent_model, none usable) or "<key> not in the <parent>s file". A child of an
    unusable parent would otherwise reach staging and fail its relationship. -#}
{% macro follow_parent_quarantine(rows, parent_model, key, parent) -%}
    parent_rows as (
        select
            {{ key }},
            bool_or(quarantine_reason is null) as has_usable_row
        from {{ ref(parent_model) }}
        where {{ key }} is not null
        group by {{ key }}
    ),

    followed as (
        select
            {{ rows }}.* exclude (quarantine_reason),
            coalesce(
                {{ rows }}.quarantine_reason,
                case
                    when parent_rows.{{ key }} is null then '{{ key }} not in the {{ parent }}s file'
                    when not parent_rows.has_usable_row then '{{ parent }} quarantined'
                end
            ) as quarantine_reason
        from {{ rows }}
        left outer join parent_rows
            on {{ rows }}.{{ key }} = parent_rows.{{ key }}
    )
{%- endmacro %}

{#- var quarantine_max_share_per_rule, checked: a share of a file's rows. -#}
{% macro quarantine_max_share_per_rule() -%}
    {{ return(number_var_literal('quarantine_max_share_per_rule', 0, 1)) }}
{%- endmacro %}
