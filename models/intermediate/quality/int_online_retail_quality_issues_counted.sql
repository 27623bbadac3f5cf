{#- Known quirks of the Online Retail data that staging keeps (flagged) rather than
    quarantines, counted for marts.data_quality_issues. -#}
with invoice_lines as (
    select * from {{ ref('stg_online_retail__invoice_lines') }}
),

stock_code_descriptions as (
    select
        stock_code,
        count(distinct description) as description_count
    from invoice_lines
    where description is not null
    group by stock_code
),

{%- set line_key = "concat_ws(' / ', invoice_no, stock_code)" %}
{%- set line_rules = [
    ('cancellation line (invoice C...)', 'is_cancellation'),
    ('negative quantity', 'quantity < 0'),
    ('negative quantity outside a cancellation (stock write-off)', 'is_stock_adjustment'),
    ('missing customer_id', 'not has_customer'),
    ('missing description', 'description is null'),
    ('zero unit_price', 'is_zero_price'),
    ('negative unit_price (bad-debt adjustment)', 'unit_price < 0'),
    ('bad-debt adjustment line (invoice A...)', 'is_bad_debt_adjustment'),
    ('invoice_date written day-first (read as such)', "invoice_date_order = 'day_first'"),
    ('invoice_date written month-first (read as such)', "invoice_date_order = 'month_first'"),
    ('bad-debt adjustment line with a quantity other than 1 (not a sale: excluded from amounts)', 'is_bad_debt_adjustment and quantity <> 1'),
    ('non-product stock code (postage, fees, manual, discount, ...)', 'is_non_product'),
    ('bulk outlier line (|quantity| >= 10000)', 'abs(quantity) >= 10000'),
    ('country not a single country (Unspecified, European Community)', "country in ('Unspecified', 'European Community')"),
    ('country under a non-standard name (EIRE, RSA)', "country in ('EIRE', 'RSA')"),
] %}

counted as (
    {% for rule, condition in line_rules %}
        {{ quality_issue_count(
            'online_retail', 'online_retail__invoice_lines', rule, 'invoice_lines', condition, line_key
        ) }}
        union all
    {% endfor %}
    {{ quality_issue_count(
        'online_retail', 'online_retail__invoice_lines', 'stock code with several descriptions',
        'stock_code_descriptions', 'description_count > 1', 'stock_code'
    ) }}
),

final as (
    select * from counted
)

select * from final
