{#- One row per customer with at least one sale order before the as-of date (grain: store +
    customer_id): recency, frequency and net monetary value, their 1-5 scores within the store
    (macros/rfm_scores.sql: percent rank, ties always share a score) and the segment of the
    seed rfm_segments, looked up by r_score and fm_score. -#}
with customers as (
    select * from {{ ref('int_customers_measured') }}
),

rfm_segments as (
    select * from {{ ref('rfm_segments') }}
),

customers_scored as (
    select
        *,
        {{ rfm_quintile_score('recency_days', higher_is_better=false) }} as r_score,
        {{ rfm_quintile_score('frequency') }} as f_score,
        {{ rfm_quintile_score('monetary') }} as m_score
    from customers
),

-- F and M together, as the segment table reads them: their mean, halves rounded up.
frequency_monetary_combined as (
    select
        *,
        cast(divide(f_score + m_score + 1, 2) as integer) as fm_score
    from customers_scored
),

segments_assigned as (
    select
        frequency_monetary_combined.*,
        rfm_segments.rfm_segment,
        rfm_segments.segment_order
    from frequency_monetary_combined
    left outer join rfm_segments
        on
            frequency_monetary_combined.r_score = rfm_segments.r_score
            and frequency_monetary_combined.fm_score = rfm_segments.fm_score
),

final as (
    select
        store,
        customer_key,
        customer_id,
        as_of_date,
        recency_days,
        frequency,
        monetary,
        currency_code,
        last_order_date,
        r_score,
        f_score,
        m_score,
        fm_score,
        cast(r_score as varchar) || cast(f_score as varchar) || cast(m_score as varchar) as rfm_score,
        rfm_segment,
        cast(segment_order as integer) as segment_order
    from segments_assigned
)

select * from final
