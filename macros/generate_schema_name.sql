{#- Custom schemas are used as they are (staging, intermediate, marts, ml), not prefixed
    with the target schema as dbt does by default (main_staging). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
