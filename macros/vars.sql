{#-
    Vars read into SQL, validated where they are read: a bad value stops the build at once
    with the var's name, the value and the expected form, instead of failing inside some
    model with a parser error. No var value reaches SQL as raw text: dates become date
    literals built from their parsed parts, numbers are rendered from parsed numbers.
    Vars are read when dbt executes a node; at parse time (and in sqlfluff, which has no
    `execute`) the macros render a typed null instead.
-#}

{#- Stop the build: var `name` has a value not of the expected form. -#}
{% macro refuse_var(name, value, expected) -%}
    {{ exceptions.raise_compiler_error(
        "var " ~ name ~ " = " ~ (value | string | tojson) ~ ": expected " ~ expected
    ) }}
{%- endmacro %}

{#- A date given as a var (YYYY-MM-DD), as a SQL date literal; `expected` describes the
    var's form in the error. -#}
{% macro date_var_literal(name, value, expected='a date YYYY-MM-DD') -%}
    {%- if not execute -%}
        {{ return('cast(null as date)') }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- set match = modules.re.fullmatch('([0-9]{4})-([0-9]{2})-([0-9]{2})', text) -%}
    {%- if value is none or value is boolean or value is mapping or not match -%}
        {{ refuse_var(name, value, expected) }}
    {%- endif -%}
    {%- set year, month, day = match.group(1) | int, match.group(2) | int, match.group(3) | int -%}
    {%- if month < 1 or month > 12 or day < 1 -%}
        {{ refuse_var(name, value, expected) }}
    {%- endif -%}
    {%- set next_month = modules.datetime.date(year + (month // 12), month % 12 + 1, 1) -%}
    {%- if day > (next_month - modules.datetime.timedelta(days=1)).day -%}
        {{ refuse_var(name, value, expected) }}
    {%- endif -%}
    {{- "date '" ~ modules.datetime.date(year, month, day).isoformat() ~ "'" -}}
{%- endmacro %}

{#- A number given as a var, checked against its range, as a SQL literal. -#}
{% macro number_var_literal(name, minimum=none, maximum=none, integer=false) -%}
    {%- if not execute -%}
        {{ return('cast(null as integer)' if integer else 'cast(null as double)') }}
    {%- endif -%}
    {%- set value = var(name) -%}
    {%- set text = value | string | trim -%}
    {%- set pattern = '-?[0-9]+' if integer else '-?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][-+]?[0-9]+)?' -%}
    {%- set expected = ('an integer' if integer else 'a number')
        ~ (' from ' ~ minimum if minimum is not none else '')
        ~ (' to ' ~ maximum if maximum is not none else '') -%}
    {%- if value is boolean or value is none or not modules.re.fullmatch(pattern, text) -%}
        {{ refuse_var(name, value, expected) }}
    {%- endif -%}
    {%- set number = (text | int) if integer else (text | float) -%}
    {%- if (minimum is not none and number < minimum) or (maximum is not none and number > maximum) -%}
        {{ refuse_var(name, value, expected) }}
    {%- endif -%}
    {{- number -}}
{%- endmacro %}

{#- A true / false var: stops the build on any other value. -#}
{% macro boolean_var(name) -%}
    {%- set value = var(name) -%}
    {%- if value is not boolean and (value | string | trim | lower) not in ['true', 'false'] -%}
        {{ refuse_var(name, value, 'true or false') }}
    {%- endif -%}
{%- endmacro %}

{#- The stores a var mapping may name. -#}
{% macro known_stores() -%}
    {{ return(['online_retail', 'olist']) }}
{%- endmacro %}

{#- A per-store setting read into SQL: var `name` is a mapping {store: value} (or its JSON
    text) naming stores of known_stores(), or one value for every store (the rule of
    common.per_store). Returns a SQL expression of the column `store_column`: the store's value
    as a literal, null for a store the mapping does not name (the model stops the build on it
    where the store has rows). A value is an integer from `minimum` (when given) or one of
    `choices`; any other stops the build. -#}
{% macro per_store_var(name, store_column, minimum=none, choices=none) -%}
    {%- if not execute -%}
        {{ return('cast(null as integer)' if choices is none else 'cast(null as varchar)') }}
    {%- endif -%}
    {%- set value = var(name) -%}
    {%- if value is string -%}
        {%- set value = fromjson(value, value) -%}
    {%- endif -%}
    {%- set one = (('an integer from ' ~ minimum) if minimum is not none else 'an integer')
        if choices is none else ('one of ' ~ choices | join(', ')) -%}
    {%- set expected = one ~ ', or a mapping {store: value} with store in ' ~ known_stores() | join(', ') -%}
    {%- set values = value if value is mapping else {'*': value} -%}
    {%- set literals = {} -%}
    {%- for store, setting in values.items() -%}
        {%- if store != '*' and store not in known_stores() -%}
            {{ refuse_var(name, value, expected) }}
        {%- endif -%}
        {%- set text = setting | string | trim -%}
        {%- if choices is none -%}
            {%- if setting is boolean or setting is none or setting is mapping
                or not modules.re.fullmatch('-?[0-9]+', text)
                or (minimum is not none and (text | int) < minimum) -%}
                {{ refuse_var(name, value, expected) }}
            {%- endif -%}
            {%- do literals.update({store: (text | int | string)}) -%}
        {%- else -%}
            {%- if text not in choices -%}
                {{ refuse_var(name, value, expected) }}
            {%- endif -%}
            {%- do literals.update({store: "'" ~ text ~ "'"}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if '*' in literals -%}
        {{- return(literals['*']) -}}
    {%- endif -%}
    {%- set cases = [] -%}
    {%- for store, literal in literals.items() -%}
        {%- do cases.append("when '" ~ store ~ "' then " ~ literal) -%}
    {%- endfor -%}
    {{- return('case ' ~ store_column ~ ' ' ~ cases | join(' ') ~ ' end') -}}
{%- endmacro %}

{#- var rfm_as_of_date as {store or '*': SQL date literal}; empty when not given. -#}
{% macro rfm_as_of_date_literals() -%}
    {%- if not execute -%}
        {{ return({'*': 'cast(null as date)'}) }}
    {%- endif -%}
    {%- set value = var('rfm_as_of_date') -%}
    {%- set form = 'a date YYYY-MM-DD, a mapping {store: YYYY-MM-DD} with store in '
        ~ known_stores() | join(', ') ~ ', or empty' -%}
    {%- set dates = value if value is mapping else {'*': value} -%}
    {%- set literals = {} -%}
    {%- for store, as_of_date in dates.items() if as_of_date -%}
        {%- if store != '*' and store not in known_stores() -%}
            {{ refuse_var('rfm_as_of_date', value, form) }}
        {%- endif -%}
        {%- do literals.update({store: date_var_literal('rfm_as_of_date', as_of_date, form)}) -%}
    {%- endfor -%}
    {{ return(literals) }}
{%- endmacro %}

{#- Every var read into SQL, checked before anything is built (on-run-start): a bad value
    stops the build before it lands a file. The models check them again where they read them. -#}
{% macro validate_vars() -%}
    {%- if var('max_event_date') -%}
        {%- do date_var_literal('max_event_date', var('max_event_date'), max_event_date_form()) -%}
    {%- endif -%}
    {%- do rfm_as_of_date_literals() -%}
    {%- do number_var_literal('incremental_lookback_days', 0, integer=true) -%}
    {%- do number_var_literal('data_end_min_share_of_typical_day', 0, 1) -%}
    {%- do number_var_literal('data_end_min_usual_share_of_median_day', 0, 1) -%}
    {%- do number_var_literal('closed_weekday_min_share_of_days', 0, 1) -%}
    {%- do number_var_literal('quarantine_max_share_per_rule', 0, 1) -%}
    {%- do number_var_literal('ml_evaluation_max_customers', 1, integer=true) -%}
    {%- do per_store_var('churn_horizon_days', 'store', minimum=1) -%}
    {%- do per_store_var('churn_target', 'store', choices=['churn', 'repeat_purchase']) -%}
    {%- do boolean_var('ml_neural') -%}
    {%- do number_var_literal('segmentation_fit_sample_size', 100, integer=true) -%}
    {%- do number_var_literal('segmentation_pairwise_sample_size', 100, integer=true) -%}
    {%- do number_var_literal('segmentation_refit_days', 0, integer=true) -%}
    {%- do boolean_var('ml_refit') -%}
    {%- do number_var_literal('churn_refit_days', 0, integer=true) -%}
    {%- do number_var_literal('value_refit_days', 0, integer=true) -%}
    {%- do number_var_literal('btyd_refit_days', 0, integer=true) -%}
    {%- do number_var_literal('ml_psi_threshold', 0) -%}
    {%- do number_var_literal('anomaly_refit_days', 0, integer=true) -%}
    {%- do number_var_literal('demand_refit_days', 0, integer=true) -%}
    {%- do number_var_literal('demand_refit_mase_ratio', 0) -%}
    {%- do number_var_literal('recommendation_refit_days', 0, integer=true) -%}
    {%- do number_var_literal('recommendation_refit_hit_rate_ratio', 0) -%}
    {%- do number_var_literal('recommendation_fit_max_customers', 1, integer=true) -%}
    {%- do number_var_literal('recommendation_fit_max_items', 1, integer=true) -%}
    {%- do number_var_literal('build_change_max_share', 0) -%}
    {%- do number_var_literal('build_stale_after_days', 0, integer=true) -%}
    select 1
{%- endmacro %}

{% macro max_event_date_form() -%}
    {{- 'a date YYYY-MM-DD, or empty for the build date' -}}
{%- endmacro %}
