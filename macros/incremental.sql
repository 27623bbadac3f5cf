{#-
    Incremental refresh of the fact and sales marts (fct_order_lines, fct_orders, sales_daily,
    sales_weekly, sales_monthly), the attributed order lines and the customer-days under the
    sales marts (int_sales_order_lines_attributed, int_sales_customer_days), the value counts
    under the distribution marts (int_sales_values_counted), the per-customer
    order totals and products bought (int_customer_order_totals, int_customer_products_bought)
    and the monthly customer snapshots (int_customer_orders_snapshotted,
    int_customer_snapshots_measured, customer_feature_snapshots).

    The raw tables are landed incrementally; the Online Retail lines up to the common
    order-line shape and the Olist geolocations are incremental by group
    (macros/incremental_groups.sql); the other staging and intermediate models are rebuilt
    from them (int_order_lines_unioned is a view: no table written, its readers scan the tables
    under it). These models keep their rows between
    builds (in the build copy, warehouse/.build/: the publish step copies it, never moves it).
    An incremental build recomputes, per store, the days from (last order_date already in the
    mart - var incremental_lookback_days) on, and replaces that whole window: its days are
    deleted from the mart (incremental_window_delete, macros/overrides/delete_insert_merge.sql),
    so a day that lost every row is gone too, then the window's new rows are inserted. The
    days before the window are kept only when their inputs did not change since they were built
    (the history check below: every column of every upstream row); otherwise the mart is built
    whole. So after any incremental build the mart equals a `--full-refresh` build on the same
    inputs (tests/python/warehouse/test_incremental.py):
      - appending a day (new rows at the end of a file, or a new file given as input) adds it;
      - rows dated inside the window may arrive, change or vanish (a day may lose every row);
      - any change before the window (a price, a freight, a seller, a status, rows removed,
        order lines without an order day) makes the build fill the mart whole.
    A store new to the mart (no window start) is built whole. The weekly and monthly marts
    widen the window to whole periods (incremental_window 'period'). The monthly snapshots
    are recomputed from the first day whose inputs changed, however early, and the snapshots
    before it kept (incremental_window 'changed_history', set_window_from_changed_history).
-#}

{#- The config of every incremental SQL model, set here once: the model's first line is
    `{{ config(**incremental_config(by, pre_hook=..., ...)) }}` with only what differs.
    Every one fails on a column change (on_schema_change 'fail': build with --full-refresh) and
    records its upstream fingerprints last (post_hook record_history_fingerprints, after the
    model's own `post_hook` if it has one). `by`:
      - 'window' (this file): delete+insert of the window its pre_hook sets
        (reset_if_history_changed or set_window_from_changed_history), the whole window deleted
        first (incremental_window_delete); the model gives unique_key and, when not the default,
        incremental_date_column (order_date) and incremental_window ('lookback');
      - 'group' (macros/incremental_groups.sql): append of the groups its pre_hook
        recompute_changed_groups recomputes (it deletes their rows).
    Other keyword arguments are passed to config as they are. -#}
{% macro incremental_config(by, pre_hook, post_hook=none) -%}
    {%- set strategies = {'window': 'delete+insert', 'group': 'append'} -%}
    {%- if by not in strategies -%}
        {{ exceptions.raise_compiler_error("incremental_config: by is 'window' or 'group', not '" ~ by ~ "'") }}
    {%- endif -%}
    {%- set settings = {
        'materialized': 'incremental',
        'incremental_strategy': strategies[by],
        'on_schema_change': 'fail',
        'pre_hook': pre_hook,
        'post_hook': ([post_hook] if post_hook else []) + ['{{ record_history_fingerprints() }}'],
    } -%}
    {%- if by == 'window' -%}
        {%- do settings.update({'incremental_window_delete': true}) -%}
    {%- endif -%}
    {%- do settings.update(kwargs) -%}
    {{ return(settings) }}
{%- endmacro %}

{#- The CTE `<relation>_in_window`: the rows of the CTE `relation` that the build recomputes,
    by their day `date_expression` (every row when the model is not built incrementally). -#}
{% macro rows_in_incremental_window(relation, date_expression) -%}
{{ relation }}_in_window as (
    {%- if is_incremental() %}
        select {{ relation }}.*
        from {{ relation }}
        left outer join (
            {{ incremental_window_starts() }}
        ) as window_starts
            on {{ relation }}.store = window_starts.store
        where
            window_starts.window_start_date is null
            or {{ date_expression }} >= window_starts.window_start_date
    {%- else %}
        select * from {{ relation }}
    {%- endif %}
)
{%- endmacro %}

{#- The first day each store's rows are recomputed from: last day in the mart (its column
    config incremental_date_column, default order_date) minus the lookback (a query on the
    mart; stores not yet in it have none). -#}
{#- The day column of an incremental model's window: config incremental_date_column, default
    order_date (also when linted: sqlfluff's config has no get). -#}
{% macro incremental_date_column() -%}
    {{ return(config.get('incremental_date_column', 'order_date') if config.get is defined else 'order_date') }}
{%- endmacro %}

{#- Config incremental_window picks how: 'lookback' (default, the day marts) as above;
    'period' (sales_weekly, sales_monthly, whose day column holds period starts) the store's
    last period start on or before that day (its first one when none is), so whole periods are
    recomputed; 'changed_history' (the monthly snapshots) the starts that
    set_window_from_changed_history wrote before the build, read back. -#}
{% macro incremental_window_starts() -%}
    {%- set window_kind = config.get('incremental_window', 'lookback') if config.get is defined else 'lookback' -%}
    {%- set lookback = number_var_literal('incremental_lookback_days', 0, integer=true) -%}
    {%- if window_kind == 'changed_history' -%}
    select
        store,
        window_start_date
    from {{ incremental_window_relation() }}
    {%- elif window_kind == 'period' -%}
    select
        store,
        cast(
            coalesce(
                max(period_start) filter (where period_start <= last_period_start - to_days({{ lookback }})),
                min(period_start)
            ) as date
        ) as window_start_date
    from (
        select
            store,
            {{ incremental_date_column() }} as period_start,
            max({{ incremental_date_column() }}) over (partition by store) as last_period_start
        from {{ this }}
    ) as periods
    group by store
    {%- else -%}
    select
        store,
        cast(
            max({{ incremental_date_column() }})
            - to_days({{ lookback }}) as date
        ) as window_start_date
    from {{ this }}
    group by store
    {%- endif -%}
{%- endmacro %}

{#- The history check of an incremental mart: its pre_hook
    `reset_if_history_changed(sources)` and post_hook `record_history_fingerprints()`.

    Each day of the mart is computed from the rows of that same day of its upstream relations
    (`sources`: a list of {'relation': ..., 'day': the day expression of a row}). The pre_hook
    fingerprints every upstream row, whole (all its columns: price, freight, seller, status,
    every one), per source, store and day: count(*) and sum(hash(row)), into
    intermediate.<mart>__history_fingerprints__next. The post_hook, once the mart is built,
    makes that the mart's recorded fingerprint, intermediate.<mart>__history_fingerprints: the
    inputs the kept rows were built from. On an incremental build the pre_hook compares, for
    the days a build keeps (before each store's window, and the rows without a day), the
    fingerprint of the inputs now with the recorded one; any difference (a row added, changed
    or removed there, a store gone, no recorded fingerprint) empties the mart, so this build
    fills it whole, as a full refresh would. -#}
{% macro history_fingerprint_relation(suffix='') -%}
    {{ return(api.Relation.create(
        database=this.database,
        schema='intermediate',
        identifier=this.identifier ~ '__history_fingerprints' ~ suffix,
    )) }}
{%- endmacro %}

{#- Fingerprints every upstream row of `sources` into <model>__history_fingerprints__next. A source
    may name itself (name; default its relation's identifier; relation may then be a subquery)
    and its rows' store (store, an expression; default upstream.store). -#}
{% macro write_next_history_fingerprints(sources) -%}
    {%- set fingerprint_query -%}
        create or replace table {{ history_fingerprint_relation('__next') }} as
        {%- for source in sources %}
            select
                '{{ source.get('name') or source.relation.identifier }}' as source_name,
                {{ source.get('store') or 'upstream.store' }} as store,
                {{ source.day }} as day,
                count(*) as row_count,
                sum(hash(upstream)) as row_hash_sum
            from {{ source.relation }} as upstream
            group by all
            {{ 'union all' if not loop.last }}
        {%- endfor %}
    {%- endset -%}
    {%- do run_query(fingerprint_query) -%}
{%- endmacro %}

{#- The (source_name, store, day) whose upstream rows differ between the recorded fingerprint
    and the next one: a row added, changed or removed there, a day or a store new or gone. -#}
{% macro history_differences() -%}
    select
        coalesce(recorded.source_name, current_rows.source_name) as source_name,
        coalesce(recorded.store, current_rows.store) as store,
        coalesce(recorded.day, current_rows.day) as day
    from {{ history_fingerprint_relation() }} as recorded
    full outer join {{ history_fingerprint_relation('__next') }} as current_rows
        on
            recorded.source_name = current_rows.source_name
            and recorded.store = current_rows.store
            and recorded.day is not distinct from current_rows.day
    where
        recorded.row_count is distinct from current_rows.row_count
        or recorded.row_hash_sum is distinct from current_rows.row_hash_sum
{%- endmacro %}

{% macro reset_if_history_changed(sources) -%}
    {%- if execute -%}
        {%- set recorded = history_fingerprint_relation() -%}
        {%- do write_next_history_fingerprints(sources) -%}
        {%- set changed = [] -%}
        {%- if is_incremental() and load_relation(recorded) is none -%}
            {%- do changed.append('no fingerprint of the inputs of the kept rows') -%}
        {%- elif is_incremental() -%}
            {%- set compare_query -%}
                with window_starts as (
                    {{ incremental_window_starts() }}
                ),

                differing as (
                    {{ history_differences() }}
                )

                select
                    differing.source_name || ' ' || differing.store || ' from '
                    || coalesce(cast(min(differing.day) as varchar), 'rows without a day') as difference
                from differing
                inner join window_starts
                    on differing.store = window_starts.store
                where differing.day is null or differing.day < window_starts.window_start_date
                group by differing.source_name, differing.store
                order by 1
            {%- endset -%}
            {%- for difference in run_query(compare_query).columns[0].values() -%}
                {%- do changed.append(difference) -%}
            {%- endfor -%}
        {%- endif -%}
        {#- The window this build recomputes, read by the data tests (incremental_test_window):
            no row when the mart is built whole. -#}
        {%- set window_query -%}
            create or replace table {{ incremental_window_relation() }} as
            {% if is_incremental() and not changed -%}
                {{ incremental_window_starts() }}
            {%- else -%}
                select cast(null as varchar) as store, cast(null as date) as window_start_date
                where false
            {%- endif %}
        {%- endset -%}
        {%- do run_query(window_query) -%}
        {%- if changed -%}
            {{ log("incremental: " ~ this ~ " is rebuilt whole: its inputs changed before the lookback window ("
                ~ (changed | join('; ')) ~ ")", info=true) }}
            delete from {{ this }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro record_history_fingerprints() -%}
    {%- if execute -%}
        {%- set recorded = history_fingerprint_relation() -%}
        {%- do run_query("drop table if exists " ~ recorded) -%}
        {%- do run_query("alter table " ~ history_fingerprint_relation('__next') ~ " rename to " ~ recorded.identifier) -%}
    {%- endif -%}
{%- endmacro %}

{#- The pre_hook of the monthly snapshot models (config incremental_window='changed_history',
    post_hook record_history_fingerprints()): a snapshot (as_of_date, a month start) is computed
    from the upstream rows seen by that day, so `sources` give each row the first as-of date it
    reaches (its `day`); for marts.customer_feature_snapshots, a row of
    int_customer_snapshots_measured on its own as_of_date. With the upstream fingerprinted as
    above, a build recomputes per store the snapshots from the first day whose rows changed,
    and always the last snapshot it has
    (the current month): into intermediate.<model>__incremental_window, the window
    incremental_window_starts reads back (the model's rows, the delete+insert). The snapshots
    before are kept: their inputs are the same. A store not yet in the model is built whole
    (no window row); a store gone from the upstream has changed from its first day on, so all
    its snapshots are deleted. On a first build or without a recorded fingerprint the model
    is built whole (no window row, the model emptied). -#}
{% macro set_window_from_changed_history(sources) -%}
    {%- if execute -%}
        {%- do write_next_history_fingerprints(sources) -%}
        {%- set whole = is_incremental() and load_relation(history_fingerprint_relation()) is none -%}
        {%- set window_query -%}
            create or replace table {{ incremental_window_relation() }} as
            {% if is_incremental() and not whole -%}
                with first_changes as (
                    select
                        store,
                        min(day) as first_changed_date
                    from ({{ history_differences() }}) as differing
                    where day is not null
                    group by store
                ),

                last_snapshots as (
                    select
                        store,
                        max({{ incremental_date_column() }}) as last_snapshot_date
                    from {{ this }}
                    group by store
                )

                select
                    last_snapshots.store,
                    cast(
                        least(
                            last_snapshots.last_snapshot_date,
                            coalesce(first_changes.first_changed_date, last_snapshots.last_snapshot_date)
                        ) as date
                    ) as window_start_date
                from last_snapshots
                left outer join first_changes
                    on last_snapshots.store = first_changes.store
            {%- else -%}
                select cast(null as varchar) as store, cast(null as date) as window_start_date
                where false
            {%- endif %}
        {%- endset -%}
        {%- do run_query(window_query) -%}
        {%- if whole -%}
            {{ log("incremental: " ~ this ~ " is rebuilt whole: no fingerprint of the inputs of the kept rows", info=true) }}
            delete from {{ this }}
        {%- elif is_incremental() -%}
            {%- set window_rows = run_query(
                "select store || ' from ' || cast(window_start_date as varchar) from "
                ~ incremental_window_relation() ~ " order by 1"
            ).columns[0].values() -%}
            {{ log("incremental: " ~ this ~ " recomputes the snapshots of " ~ (window_rows | join('; ')), info=true) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The upstream of the monthly snapshot models, each row with the first snapshot date that
    sees it: an order of fct_orders from the day after it (int_customer_orders_snapshotted:
    order_date < as_of_date), a row of int_customer_orders_snapshotted on its own as_of_date
    (int_customer_snapshots_measured). -#}
{% macro customer_snapshot_order_sources() -%}
    {{ return([{'relation': ref('fct_orders'), 'day': 'cast(upstream.order_date + interval 1 day as date)'}]) }}
{%- endmacro %}

{% macro customer_snapshot_measure_sources() -%}
    {{ return([{'relation': ref('int_customer_orders_snapshotted'), 'day': 'upstream.as_of_date'}]) }}
{%- endmacro %}

{#- marts.customer_feature_snapshots: a row of int_customer_snapshots_measured on its own
    as_of_date. -#}
{% macro customer_feature_snapshot_sources() -%}
    {{ return([{'relation': ref('int_customer_snapshots_measured'), 'day': 'upstream.as_of_date'}]) }}
{%- endmacro %}

{#- The upstream relations of the three incremental marts, with the day of their rows. An
    order's lines and payments carry its day (int_*_order_lines_prepared, fct_order_payments). -#}
{% macro order_line_history_sources() -%}
    {{ return([{'relation': ref('int_order_lines_unioned'), 'day': 'cast(upstream.ordered_at as date)'}]) }}
{%- endmacro %}

{% macro order_history_sources() -%}
    {{ return([
        {'relation': ref('int_orders_unioned'), 'day': 'cast(upstream.ordered_at as date)'},
        {'relation': ref('int_order_lines_unioned'), 'day': 'cast(upstream.ordered_at as date)'},
        {'relation': ref('fct_order_payments'), 'day': 'upstream.order_date'},
    ]) }}
{%- endmacro %}

{#- int_customer_order_totals: a customer's measures come from their orders in fct_orders, and
    a customer whose orders are all before the window has none in it. -#}
{% macro customer_order_history_sources() -%}
    {{ return([{'relation': ref('fct_orders'), 'day': 'upstream.order_date'}]) }}
{%- endmacro %}

{#- int_customer_products_bought: a customer's products and categories come from the lines
    of their orders in fct_orders with each product's category (dim_products), projected on the
    columns it reads; a line carries its order's day. A category changed before the window
    changes the lines of those days. -#}
{% macro customer_product_history_sources() -%}
    {{ return([
        {'relation': ref('fct_orders'), 'day': 'upstream.order_date'},
        {
            'name': 'fct_order_lines_with_categories',
            'relation': '(select order_lines.store, order_lines.order_key, order_lines.order_date,'
                ~ ' order_lines.line_type, order_lines.is_product, order_lines.product_key,'
                ~ ' products.category_name_english from ' ~ ref('fct_order_lines') ~ ' as order_lines'
                ~ ' left outer join ' ~ ref('dim_products') ~ ' as products'
                ~ ' on order_lines.product_key = products.product_key)',
            'day': 'upstream.order_date',
        },
    ]) }}
{%- endmacro %}

{#- The CTE `<orders>_recomputed` of a model incremental by customer (int_customer_order_totals,
    int_customer_products_bought; config incremental_date_column 'last_any_order_date', the
    day of a customer's last order of any type): the orders of `orders` (fct_orders' rows) of
    the customers a build recomputes, all their orders: those with an order on or after their
    store's window start, and those the model had there (their orders there may have
    vanished). Every order when the model is not built incrementally. -#}
{% macro orders_of_recomputed_customers(orders) -%}
    {%- if is_incremental() -%}
        {{ orders }}_window_starts as (
            {{ incremental_window_starts() }}
        ),

        {{ orders }}_customers_recomputed as (
            select
                {{ orders }}.store,
                {{ orders }}.customer_key
            from {{ orders }}
            left outer join {{ orders }}_window_starts as window_starts
                on {{ orders }}.store = window_starts.store
            where
                window_starts.window_start_date is null
                or {{ orders }}.order_date >= window_starts.window_start_date
            union
            select
                kept.store,
                kept.customer_key
            from {{ this }} as kept
            inner join {{ orders }}_window_starts as window_starts
                on kept.store = window_starts.store
            where kept.last_any_order_date >= window_starts.window_start_date
        ),

        {{ orders }}_recomputed as (
            select {{ orders }}.*
            from {{ orders }}
            inner join {{ orders }}_customers_recomputed as customers_recomputed
                on
                    {{ orders }}.store = customers_recomputed.store
                    and {{ orders }}.customer_key = customers_recomputed.customer_key
        )
    {%- else -%}
        {{ orders }}_recomputed as (
            select * from {{ orders }}
        )
    {%- endif -%}
{%- endmacro %}

{#- int_sales_order_lines_attributed: a day's rows are made of that day's orders (fct_orders), their
    lines (fct_order_lines) with the category of each line's product (dim_products, fingerprinted
    on the days of the lines that carry it, so a new product is no change before the window) and
    the customers whose first-order day it is (dim_customers: a first-order day that moves changes
    customer_status on both days). Only the columns the model reads are fingerprinted. -#}
{% macro sales_order_line_history_sources() -%}
    {{ return([
        {
            'name': 'fct_orders',
            'relation': '(select order_key, store, order_id, order_type, is_cancelled, customer_key, ordered_at,'
                ~ ' order_date, country_name, state, currency_code from ' ~ ref('fct_orders') ~ ')',
            'day': 'upstream.order_date',
        },
        {
            'name': 'fct_order_lines',
            'relation': '(select order_lines.order_key, order_lines.order_line_key, order_lines.store,'
                ~ ' order_lines.order_date, order_lines.product_key, order_lines.line_type, order_lines.is_product,'
                ~ ' order_lines.quantity, order_lines.gross_sales_amount, order_lines.cancellation_amount,'
                ~ ' order_lines.net_revenue_amount, products.category_name_english from ' ~ ref('fct_order_lines')
                ~ ' as order_lines left outer join ' ~ ref('dim_products')
                ~ ' as products on order_lines.product_key = products.product_key)',
            'day': 'upstream.order_date',
        },
        {
            'name': 'dim_customers',
            'relation': '(select store, customer_key, first_order_date from ' ~ ref('dim_customers')
                ~ ' where first_order_date is not null)',
            'day': 'upstream.first_order_date',
        },
    ]) }}
{%- endmacro %}

{#- int_sales_customer_days: a customer-day is made of the attributed lines of that day. -#}
{% macro sales_customer_day_history_sources() -%}
    {{ return([{'relation': ref('int_sales_order_lines_attributed'), 'day': 'upstream.order_date'}]) }}
{%- endmacro %}

{#- The sales period marts (sales_daily, sales_weekly, sales_monthly): a period's rows are made
    of the customer-days of its days. -#}
{% macro sales_daily_history_sources() -%}
    {{ return([{'relation': ref('int_sales_customer_days'), 'day': 'upstream.order_date'}]) }}
{%- endmacro %}

{#- int_sales_values_counted: a day's value counts are made of that day's sale lines
    (fct_order_lines: quantity, unit price) and valued sale orders (fct_orders: net revenue),
    with their customer; only the columns it reads are fingerprinted. -#}
{% macro sales_value_history_sources() -%}
    {{ return([
        {
            'name': 'fct_order_lines',
            'relation': '(select store, order_date, customer_key, line_type, quantity, unit_price from '
                ~ ref('fct_order_lines') ~ ')',
            'day': 'upstream.order_date',
        },
        {
            'name': 'fct_orders',
            'relation': '(select store, order_date, customer_key, order_type, is_cancelled, line_count,'
                ~ ' net_revenue_amount from ' ~ ref('fct_orders') ~ ')',
            'day': 'upstream.order_date',
        },
    ]) }}
{%- endmacro %}

{#- The window an incremental mart's last build recomputed (one row per store that kept days;
    none when it was built whole): intermediate.<mart>__incremental_window. -#}
{% macro incremental_window_relation(model_relation=none) -%}
    {%- set model_relation = model_relation or this -%}
    {{ return(api.Relation.create(
        database=model_relation.database,
        schema='intermediate',
        identifier=model_relation.identifier ~ '__incremental_window',
    )) }}
{%- endmacro %}

{#- The `where` of the row-level data tests of an incremental mart (`where:
    __incremental_window__` in its yml, replaced by macros/overrides/get_where_subquery.sql):
    the rows of the days its last build recomputed, every row when it was built whole (a full
    refresh, a first build, a reset) or is not incremental. The grain (unique) tests and
    the aggregate checks keep every row. -#}
{% macro incremental_test_window(relation) -%}
    {%- set window = incremental_window_relation(relation) -%}
    {%- if execute and load_relation(window) is not none -%}
        {#- The model's day column (config incremental_date_column, default order_date). -#}
        {%- set found = namespace(date_column='order_date') -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.alias == relation.identifier
            and node.schema == relation.schema -%}
            {%- set found.date_column = node.config.get('incremental_date_column') or 'order_date' -%}
        {%- endfor -%}
        not exists (
            select 1
            from {{ window }} as incremental_window
            where
                incremental_window.store = {{ relation.identifier }}.store
                and {{ relation.identifier }}.{{ found.date_column }} < incremental_window.window_start_date
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
