-- Which build the site was made from (meta.warehouse_version of the published file).
select
    invocation_id,
    build_started_at,
    published_at
from meta.warehouse_version
