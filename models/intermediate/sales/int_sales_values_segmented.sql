{#- One row per store + dimension + dimension_value + measure + value of the EDA distributions
    (eda_boxplot_stats, eda_histogram_bins): the observations with that value, overall and per
    RFM segment of customer_rfm ('no customer' without a customer, 'not scored' for a customer
    customer_rfm lacks), added up from the daily counts of int_sales_values_counted. Rebuilt
    whole every build (the segments move with customer_rfm's as-of day), from those counts,
    not from the lines. -#}
with value_counts as (
    select * from {{ ref('int_sales_values_counted') }}
),

customer_rfm as (
    select * from {{ ref('customer_rfm') }}
),

segmented as (
    select
        value_counts.store,
        case
            when value_counts.customer_key is null then 'no customer'
            else coalesce(customer_rfm.rfm_segment, 'not scored')
        end as rfm_segment,
        value_counts.measure,
        value_counts.observed_value,
        value_counts.observation_count
    from value_counts
    left outer join customer_rfm
        on value_counts.customer_key = customer_rfm.customer_key
),

segment_value_counts as (
    select
        store,
        rfm_segment,
        measure,
        observed_value,
        sum(observation_count) as observation_count
    from segmented
    group by store, rfm_segment, measure, observed_value
),

values_by_dimension as (
    {{ rows_by_dimension('segment_value_counts', eda_dimensions()) }}
),

final as (
    select
        store,
        dimension,
        dimension_value,
        measure,
        observed_value,
        cast(sum(observation_count) as bigint) as observation_count
    from values_by_dimension
    group by store, dimension, dimension_value, measure, observed_value
)

select * from final
