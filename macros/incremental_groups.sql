{#-
    Incremental by group, for the staging models whose rows come from one upstream row each
    (the Online Retail lines by invoice up to int_online_retail_order_lines_prepared, the Olist
    order items and payments by order) and for models whose inputs rarely change (the Olist
    geolocations, kept whole): a build recomputes only the groups whose input rows changed
    and keeps the others, so an appended day retypes and rechecks the invoices and orders it
    touches, not every line. A group holds every row a rule looks across (an Online Retail
    invoice: its duplicate check, its median date; an Olist order: its items' numbering, its
    payment count, its parent order's quarantine), so a kept group is computed from the same
    rows as before and equals what a full build gives.

    The model's config: `incremental_config('group', pre_hook=...)` (macros/incremental.sql:
    append, post_hook record_history_fingerprints()) with the pre_hook
    `recompute_changed_groups(sources, group_column, extra_groups)`. Its first import CTE keeps
    the upstream rows `in_changed_groups(group expression)`.

    `sources`: the upstream relations, each a dict as in write_next_history_fingerprints
    (relation, optional name and store) with `day` the group expression of an upstream row
    (e.g. trim(upstream.invoice_no)), or without `day` for an input read whole (a seed, a
    lookup table). The pre_hook fingerprints every upstream row, whole, per source and group
    (count(*), sum(hash(row))), with one more row for the model's code (its raw_code hash).
    On an incremental build over a recorded fingerprint:
      - a group whose rows were added, changed or removed is recomputed: its rows are deleted
        from the model and the upstream rows of the group computed again (a group that lost
        every row is only deleted);
      - `extra_groups`, a query over the model's rows returning group_value: groups the
        build recomputes whatever their inputs (base_online_retail__invoice_lines: the
        invoices with a line dated on or after the future threshold, or quarantined as in the
        future, since the threshold moves with the build date);
      - any difference in an input read whole or in the model's code, or no recorded
        fingerprint: the model is emptied and computed whole, as a full refresh would.
    A first build or `--full-refresh` computes every group. The groups a build recomputes
    are in intermediate.<model>__changed_groups (group_value; one row with a null value for a
    model without groups when it is recomputed). A change of a macro the model calls is not
    seen (as for every incremental model): build with `--full-refresh` after one.
-#}

{#- intermediate.<model>__changed_groups (a plain name when linted: sqlfluff has no api). -#}
{% macro changed_group_relation() -%}
    {%- if api is defined -%}
        {{ return(api.Relation.create(
            database=this.database,
            schema='intermediate',
            identifier=this.identifier ~ '__changed_groups',
        )) }}
    {%- else -%}
        intermediate.model__changed_groups
    {%- endif -%}
{%- endmacro %}

{#- True for an upstream row whose group (expression `group_expression`) is recomputed: every
    row when the model is not built incrementally. -#}
{% macro in_changed_groups(group_expression) -%}
    {%- if is_incremental() -%}
        (
            cast({{ group_expression }} as varchar) in (
                select changed_groups.group_value
                from {{ changed_group_relation() }} as changed_groups
                where changed_groups.group_value is not null
            )
            or ({{ group_expression }}) is null and exists (
                select 1
                from {{ changed_group_relation() }} as changed_groups
                where changed_groups.group_value is null
            )
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- A raw table, in a hook: source() there would land it again (the landing plugin lands a
    table each time source() names it); the model's SQL has landed it already. -#}
{% macro landed_relation(identifier) -%}
    {{ return(api.Relation.create(database=this.database, schema='raw', identifier=identifier)) }}
{%- endmacro %}

{#- An input of a model read whole (a seed, a lookup table): any change recomputes the model whole. -#}
{% macro whole_input_source(relation) -%}
    {{ return({'relation': relation, 'store': "'all'", 'day': 'cast(null as varchar)', 'whole': true}) }}
{%- endmacro %}

{% macro recompute_changed_groups(sources, group_column=none, extra_groups=none) -%}
    {%- if execute -%}
        {%- set code_source = {
            'name': '__model_code',
            'relation': "(select '" ~ local_md5(model.raw_code) ~ "' as code_md5)",
            'store': "'all'",
            'day': 'cast(null as varchar)',
        } -%}
        {%- set grouped_names = [] -%}
        {%- set whole_names = ['__model_code'] -%}
        {%- for source in sources -%}
            {%- set name = source.get('name') or source.relation.identifier -%}
            {%- if source.get('whole') or group_column is none -%}
                {%- do whole_names.append(name) -%}
            {%- else -%}
                {%- do grouped_names.append(name) -%}
            {%- endif -%}
        {%- endfor -%}
        {#- A build of staging alone has not created the schema of the fingerprints. -#}
        {%- do adapter.create_schema(api.Relation.create(database=this.database, schema='intermediate')) -%}
        {%- do write_next_history_fingerprints(sources + [code_source]) -%}
        {%- set whole = namespace(reason=none) -%}
        {%- if not is_incremental() -%}
            {%- set whole.reason = 'first or full build' -%}
        {%- elif load_relation(history_fingerprint_relation()) is none -%}
            {%- set whole.reason = 'no fingerprint of the inputs of the kept rows' -%}
        {%- else -%}
            {%- set whole_query -%}
                select string_agg(distinct source_name, ', ' order by source_name)
                from ({{ history_differences() }}) as differing
                where source_name in ('{{ whole_names | join("', '") }}')
            {%- endset -%}
            {%- set changed_whole = run_query(whole_query).columns[0].values()[0] -%}
            {%- if changed_whole -%}
                {%- set whole.reason = 'changed: ' ~ changed_whole -%}
            {%- endif -%}
        {%- endif -%}
        {%- set groups_query -%}
            create or replace table {{ changed_group_relation() }} as
            {%- if group_column is none %}
                select cast(null as varchar) as group_value
                where {{ 'true' if whole.reason else 'false' }}
            {%- elif whole.reason %}
                select distinct cast(day as varchar) as group_value
                from {{ history_fingerprint_relation('__next') }}
                where source_name in ('{{ grouped_names | join("', '") }}')
            {%- else %}
                select distinct cast(day as varchar) as group_value
                from ({{ history_differences() }}) as differing
                where source_name in ('{{ grouped_names | join("', '") }}')
                {%- if extra_groups %}
                    union
                    select cast(group_value as varchar) from ({{ extra_groups }}) as extra_groups
                {%- endif %}
            {%- endif %}
        {%- endset -%}
        {%- do run_query(groups_query) -%}
        {%- if is_incremental() and whole.reason -%}
            {{ log("incremental: " ~ this ~ " is rebuilt whole (" ~ whole.reason ~ ")", info=true) }}
            delete from {{ this }}
        {%- elif is_incremental() and group_column is none -%}
            {{ log("incremental: " ~ this ~ " is kept: its inputs are unchanged", info=true) }}
        {%- elif is_incremental() -%}
            {%- set group_count = run_query("select count(*) from " ~ changed_group_relation()).columns[0].values()[0] -%}
            {{ log("incremental: " ~ this ~ " recomputes " ~ group_count ~ " changed groups (" ~ group_column ~ ")", info=true) }}
            delete from {{ this }} as kept_rows
            where {{ in_changed_groups('kept_rows.' ~ group_column) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- base_online_retail__invoice_lines, incremental by invoice (trimmed invoice_no: the
    duplicate check and the invoice's median date look across its lines). Its raw lines are
    fingerprinted with their file's date order (raw.landing__file_loads.date_order), which
    decides how their dates are read: a file whose order changed recomputes its invoices. -#}
{% macro online_retail_line_sources() -%}
    {{ return([{
        'name': 'online_retail__invoice_lines',
        'relation': '(select raw_lines.*, file_loads.date_order from ' ~ landed_relation('online_retail__invoice_lines')
            ~ ' as raw_lines left outer join ' ~ landed_relation('landing__file_loads')
            ~ ' as file_loads on raw_lines._source_file = file_loads.file_path)',
        'store': "'online_retail'",
        'day': 'trim(upstream.invoice_no)',
    }]) }}
{%- endmacro %}

{#- The invoices a build rechecks whatever their lines: a line quarantined as in the future
    may not be any more, and a line on or after the threshold may be now (it follows the
    build date unless var max_event_date is set). -#}
{% macro online_retail_unsettled_invoices() -%}
    select invoice_no as group_value
    from {{ this }}
    where
        quarantine_reason = {{ online_retail_future_date_reason() }}
        or invoiced_at >= {{ max_event_timestamp() }}
{%- endmacro %}

{% macro online_retail_future_date_reason() -%}
    'invoice_date in the future'
{%- endmacro %}

{% macro online_retail_invoice_date_reason() -%}
    'invoice_date more than a day from the rest of its invoice'
{%- endmacro %}

{% macro online_retail_early_date_reason() -%}
    'invoice_date more than a year before the store''s other lines'
{%- endmacro %}

{#- The store-wide early-date rule: a line dated more than a year before the store's 0.1%
    quantile of invoice dates (over the lines that passed the row checks). -#}
{% macro is_online_retail_early_date(store_early_invoiced_at) -%}
    invoiced_at < {{ store_early_invoiced_at }} - interval 365 days
{%- endmacro %}

{#- The post_hook of base_online_retail__invoice_lines: an incremental build computed the
    quantile of the early-date rule over the invoices it recomputed; every line that passed
    the row checks and the invoice-date check (quarantine_reason null or the early-date
    reason) gets the rule again with the quantile over all lines (typically no line changes). -#}
{% macro recheck_online_retail_early_dates() -%}
    {%- if execute and is_incremental() -%}
        update {{ this }}
        set quarantine_reason = case
            when coalesce({{ is_online_retail_early_date('store_early.store_early_invoiced_at') }}, false)
                then {{ online_retail_early_date_reason() }}
        end
        from (
            select
                quantile_disc(invoiced_at, 0.001) filter (
                    where quarantine_reason is null
                    or quarantine_reason in ({{ online_retail_invoice_date_reason() }}, {{ online_retail_early_date_reason() }})
                ) as store_early_invoiced_at
            from {{ this }}
        ) as store_early
        where
            (quarantine_reason is null or quarantine_reason = {{ online_retail_early_date_reason() }})
            and coalesce({{ is_online_retail_early_date('store_early.store_early_invoiced_at') }}, false)
            <> (quarantine_reason is not null)
    {%- endif -%}
{%- endmacro %}

{#- A stg_ model incremental by group (stg_online_retail__invoice_lines by invoice_no,
    stg_olist__order_items and stg_olist__order_payments by order_id): its base rows, by the
    same group. -#}
{% macro staged_group_sources(base_model, store, group_column) -%}
    {{ return([{
        'relation': ref(base_model),
        'store': "'" ~ store ~ "'",
        'day': 'upstream.' ~ group_column,
    }]) }}
{%- endmacro %}

{#- base_olist__order_items and base_olist__order_payments, incremental by order (their
    duplicate checks and the payment count look across an order's rows, and a row follows its
    order into quarantine): the raw rows by order_id, and the order's rows in
    base_olist__orders, so a change of the order recomputes its items and payments. -#}
{% macro olist_order_child_sources(raw_table) -%}
    {{ return([
        {'relation': landed_relation(raw_table), 'store': "'olist'", 'day': "nullif(trim(upstream.order_id), '')"},
        {'relation': ref('base_olist__orders'), 'store': "'olist'", 'day': 'upstream.order_id'},
    ]) }}
{%- endmacro %}

{#- int_online_retail_order_lines_prepared: the staged lines of an invoice (its order_id), by
    invoice; the country names read whole. -#}
{% macro prepared_invoice_line_sources() -%}
    {{ return([
        {'relation': ref('stg_online_retail__invoice_lines'), 'store': "'online_retail'", 'day': 'upstream.invoice_no'},
        whole_input_source(ref('country_names')),
    ]) }}
{%- endmacro %}
