{#- Incremental by order, like its base model (macros/incremental_groups.sql). -#}
{{ config(**incremental_config(
    'group',
    pre_hook="{{ recompute_changed_groups(
        staged_group_sources('base_olist__order_items', 'olist', 'order_id'), 'order_id'
    ) }}",
)) }}

{{ rows_passing_checks('base_olist__order_items', group_expression='order_id') }}
