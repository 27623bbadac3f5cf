{#- Custom schemas are used as they are (staging, intermediate, marts), not prefixed with the
    target schema as dbt does by default (main_staging). Python models (python_models/, the
    machine learning) write to schema ml unless they name another. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is not none -%}
        {{ custom_schema_name | trim }}
    {%- elif node.language == 'python' -%}
        ml
    {%- else -%}
        {{ target.schema }}
    {%- endif -%}
{%- endmacro %}
