-- Question: which Online Retail products are returned or cancelled most, by value, and
-- what share of their gross sales is that? (Candidates for a quality or description check.)
with top_products as (
    select * from {{ ref('top_products') }}
),

final as (
    select
        product_id,
        product_name,
        units_sold,
        units_returned,
        gross_sales_amount,
        cancellation_amount,
        cancellation_amount / nullif(gross_sales_amount, 0) as cancellation_share,
        currency_code
    from top_products
    where store = 'online_retail' and cancellation_amount > 0
)

select * from final
order by cancellation_amount desc
limit 25
