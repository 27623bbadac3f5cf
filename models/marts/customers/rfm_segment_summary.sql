{#- One row per store and RFM segment (all eleven, also when empty): customers, their share of
    the store's customers and of its net revenue, and the medians of recency, frequency and
    monetary value. -#}
with customer_rfm as (
    select * from {{ ref('customer_rfm') }}
),

rfm_segments as (
    select * from {{ ref('rfm_segments') }}
),

segment_names as (
    select distinct
        rfm_segment,
        segment_order
    from rfm_segments
),

stores as (
    select
        store,
        any_value(as_of_date) as as_of_date,
        any_value(currency_code) as currency_code,
        count(*) as store_customers,
        sum(monetary) as store_monetary
    from customer_rfm
    group by store
),

store_segments as (
    select
        stores.*,
        segment_names.rfm_segment,
        segment_names.segment_order
    from stores
    cross join segment_names
),

segment_totals as (
    select
        store,
        rfm_segment,
        count(*) as customers,
        sum(monetary) as monetary,
        median(recency_days) as median_recency_days,
        median(frequency) as median_frequency,
        median(monetary) as median_monetary,
        avg(recency_days) as mean_recency_days,
        avg(frequency) as mean_frequency,
        avg(monetary) as mean_monetary
    from customer_rfm
    group by store, rfm_segment
),

final as (
    select
        store_segments.store,
        store_segments.rfm_segment,
        cast(store_segments.segment_order as integer) as segment_order,
        store_segments.as_of_date,
        store_segments.currency_code,
        cast(coalesce(segment_totals.customers, 0) as integer) as customers,
        cast(coalesce(segment_totals.customers, 0) as double) / store_segments.store_customers as customer_share,
        cast(coalesce(segment_totals.monetary, 0) as decimal(18, 4)) as net_revenue_amount,
        cast(
            coalesce(segment_totals.monetary, 0) / nullif(store_segments.store_monetary, 0) as double
        ) as revenue_share,
        cast(segment_totals.median_recency_days as double) as median_recency_days,
        cast(segment_totals.median_frequency as double) as median_frequency,
        cast(segment_totals.median_monetary as decimal(18, 4)) as median_monetary,
        cast(segment_totals.mean_recency_days as double) as mean_recency_days,
        cast(segment_totals.mean_frequency as double) as mean_frequency,
        cast(segment_totals.mean_monetary as decimal(18, 4)) as mean_monetary
    from store_segments
    left outer join segment_totals
        on
            store_segments.store = segment_totals.store
            and store_segments.rfm_segment = segment_totals.rfm_segment
)

select * from final
