{#- Rebuilt only when its base model changed, like it (macros/incremental_groups.sql). -#}
{{ config(**incremental_config(
    'group',
    pre_hook="{{ recompute_changed_groups([whole_input_source(ref('base_olist__geolocation'))]) }}",
)) }}

{{ rows_passing_checks('base_olist__geolocation', group_expression='null') }}
