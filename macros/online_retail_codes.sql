{#- Online Retail StockCodes that are not products (postage, fees, manual entries,
    discounts, samples, vouchers): kept as real events, flagged is_non_product. -#}
{% macro online_retail_non_product_codes() -%}
    {{ return([
        'POST', 'DOT', 'M', 'C2', 'D', 'S', 'B', 'BANK CHARGES', 'AMAZONFEE', 'CRUK', 'PADS',
        'ADJUST', 'ADJUST2', 'TEST001', 'TEST002',
    ]) }}
{%- endmacro %}

{#- Code patterns of the same kind: gift vouchers (gift_0001_10) and dotcom items (DCGS...). -#}
{% macro online_retail_non_product_patterns() -%}
    {{ return(['GIFT\\_0001\\_%', 'DCGS%']) }}
{%- endmacro %}

{#- True when the StockCode column holds a non-product code. -#}
{% macro is_online_retail_non_product(stock_code) -%}
    (
        upper({{ stock_code }}) in (
            {%- for code in online_retail_non_product_codes() %}
                '{{ code }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
        {%- for pattern in online_retail_non_product_patterns() %}
            or upper({{ stock_code }}) like '{{ pattern }}' escape '\'
        {%- endfor %}
    )
{%- endmacro %}
