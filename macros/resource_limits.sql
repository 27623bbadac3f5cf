{#- DuckDB memory cap for big builds (`make bench` at 100M lines): the environment variable
    RETAIL_WAREHOUSE_MEMORY_LIMIT (e.g. 16GB) sets DuckDB's memory_limit for the whole build;
    past it DuckDB spills to its temp directory beside the build copy (<file>.tmp). Unset, the
    build keeps DuckDB's default (80% of RAM) and the hook runs nothing. The landing plugin's
    Arrow batches are outside this cap (they stream in batches). -#}
{% macro duckdb_resource_limits() -%}
    {%- set memory_limit = env_var('RETAIL_WAREHOUSE_MEMORY_LIMIT', '') | trim -%}
    {%- if memory_limit -%}
        set memory_limit = '{{ memory_limit }}'
    {%- endif -%}
{%- endmacro %}
