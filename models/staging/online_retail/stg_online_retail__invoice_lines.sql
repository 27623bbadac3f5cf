{#- Incremental by invoice, like its base model (macros/incremental_groups.sql). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ recompute_changed_groups(
        staged_group_sources('base_online_retail__invoice_lines', 'online_retail', 'invoice_no'), 'invoice_no'
    ) }}",
    post_hook="{{ record_history_fingerprints() }}",
) }}

{{ rows_passing_checks('base_online_retail__invoice_lines', group_expression='invoice_no') }}
