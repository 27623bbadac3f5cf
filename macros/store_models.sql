{#- One model for every store: each store brings its rows to a common shape in an
    int_<store>_<entity>s_prepared model, a union model stacks them, and marts key them with
    store_key. A third store adds its prepared models to the union lists. -#}

{#- Readable surrogate key of a mart row: the store and the natural key, joined by ':'
    (online_retail:536365, olist:<order_id>:1). Null when any part is null, so a line
    without customer has a null customer_key rather than a key that matches nothing. -#}
{% macro store_key(store, key_columns) -%}
    ({{ store }} || ':' || {{ key_columns | join(" || ':' || ") }})
{%- endmacro %}

{#- The body of a union model: the rows of the stores' prepared models, matched by column
    name (every prepared model has the same columns). -#}
{% macro union_store_models(models) -%}
with
{% for model in models %}
    {{ model }} as (
        select * from {{ ref(model) }}
    ),
{% endfor %}

unioned as (
    {% for model in models %}
        select * from {{ model }}
        {% if not loop.last %}union all by name{% endif %}
    {% endfor %}
),

final as (
    select * from unioned
)

select * from final
{%- endmacro %}
