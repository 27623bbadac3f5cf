{#- Incremental by order, like its base model (macros/incremental_groups.sql). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ recompute_changed_groups(
        staged_group_sources('base_olist__order_items', 'olist', 'order_id'), 'order_id'
    ) }}",
    post_hook="{{ record_history_fingerprints() }}",
) }}

{{ rows_passing_checks('base_olist__order_items', group_expression='order_id') }}
