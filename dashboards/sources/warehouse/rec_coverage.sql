select
    store,
    item_level,
    count(distinct customer_key) as customers,
    count(*) as recommendations,
    count(distinct item_key) as distinct_items
from ml.product_recommendations
group by store, item_level
