-- The 25 strongest rules per store and item level.
select *
from ml.product_associations
where rule_rank <= 25
