{#- Overrides dbt's get_where_subquery, which filters the model a data test reads by the test's
    `where` config: the placeholder __incremental_window__ there is replaced, when the test
    runs, by incremental_test_window (macros/incremental.sql): a row-level test of an
    incremental mart checks the days its last build recomputed. The rest is dbt's macro. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- if '__incremental_window__' in where -%}
            {%- set where = where.replace('__incremental_window__', incremental_test_window(relation)) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
