-- Customers per recency score x frequency-monetary score, per store.
select
    store,
    r_score,
    fm_score,
    count(*) as customers,
    sum(monetary) as monetary
from marts.customer_rfm
group by store, r_score, fm_score
