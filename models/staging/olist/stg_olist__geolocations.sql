{#- Rebuilt only when its base model changed, like it (macros/incremental_groups.sql). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ recompute_changed_groups([whole_input_source(ref('base_olist__geolocation'))]) }}",
    post_hook="{{ record_history_fingerprints() }}",
) }}

{{ rows_passing_checks('base_olist__geolocation', group_expression='null') }}
