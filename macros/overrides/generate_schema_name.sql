{#- Overrides dbt's generate_schema_name: a custom schema (+schema in dbt_project.yml:
    staging, intermediate, marts, ml) is used as it is, not prefixed with the target schema
    as dbt does by default (main_staging). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is not none -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}
    {%- endif -%}
{%- endmacro %}
