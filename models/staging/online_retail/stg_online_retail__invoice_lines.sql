{#- Incremental by invoice, like its base model (macros/incremental_groups.sql). -#}
{{ config(**incremental_config(
    'group',
    pre_hook="{{ recompute_changed_groups(
        staged_group_sources('base_online_retail__invoice_lines', 'online_retail', 'invoice_no'), 'invoice_no'
    ) }}",
)) }}

{{ rows_passing_checks('base_online_retail__invoice_lines', group_expression='invoice_no') }}
