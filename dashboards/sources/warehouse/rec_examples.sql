-- The recommendations of five customers per store (the first by key), to read what is served.
with customers as (
    select distinct store, customer_key
    from ml.product_recommendations
),

picked as (
    select store, customer_key
    from customers
    qualify row_number() over (partition by store order by customer_key) <= 5
)

select recommendations.*
from ml.product_recommendations as recommendations
inner join picked
    on recommendations.store = picked.store and recommendations.customer_key = picked.customer_key
