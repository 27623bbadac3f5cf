{#- Boxplot statistics of quantity, unit price (per sale line) and order value (per sale
    order not cancelled), per store, overall and per RFM segment: one row per store +
    dimension + dimension_value + measure. Tukey whiskers: the fences are q1 - 1.5 x IQR and
    q3 + 1.5 x IQR, the whiskers end at the most extreme values inside them, values outside
    are outliers. With interpolated quartiles a whisker can end inside the box on small
    samples (values 1, 100, 101, 102), so only min <= whiskers <= max is required. -#}
with observations as (
    select * from {{ ref('int_sales_distribution_observations') }}
),

observations_by_dimension as (
    {{ rows_by_dimension('observations', eda_dimensions()) }}
),

quartiles as (
    select
        store,
        dimension,
        dimension_value,
        measure,
        count(*) as observation_count,
        round(avg(observed_value), 6) as mean_value,
        min(observed_value) as min_value,
        quantile_cont(observed_value, 0.25) as q1_value,
        quantile_cont(observed_value, 0.5) as median_value,
        quantile_cont(observed_value, 0.75) as q3_value,
        max(observed_value) as max_value
    from observations_by_dimension
    group by store, dimension, dimension_value, measure
),

fences as (
    select
        *,
        q3_value - q1_value as iqr_value,
        q1_value - 1.5 * (q3_value - q1_value) as lower_fence_value,
        q3_value + 1.5 * (q3_value - q1_value) as upper_fence_value
    from quartiles
),

whiskers as (
    select
        observations_by_dimension.store,
        observations_by_dimension.dimension,
        observations_by_dimension.dimension_value,
        observations_by_dimension.measure,
        min(observations_by_dimension.observed_value) filter (
            where observations_by_dimension.observed_value >= fences.lower_fence_value
        ) as lower_whisker_value,
        max(observations_by_dimension.observed_value) filter (
            where observations_by_dimension.observed_value <= fences.upper_fence_value
        ) as upper_whisker_value,
        count(*) filter (
            where observations_by_dimension.observed_value < fences.lower_fence_value
        ) as low_outlier_count,
        count(*) filter (
            where observations_by_dimension.observed_value > fences.upper_fence_value
        ) as high_outlier_count
    from observations_by_dimension
    inner join fences
        on
            observations_by_dimension.store = fences.store
            and observations_by_dimension.dimension = fences.dimension
            and observations_by_dimension.dimension_value = fences.dimension_value
            and observations_by_dimension.measure = fences.measure
    group by all
),

final as (
    select
        fences.store,
        fences.dimension,
        fences.dimension_value,
        fences.measure,
        cast(fences.observation_count as bigint) as observation_count,
        cast(fences.mean_value as double) as mean_value,
        cast(fences.min_value as double) as min_value,
        cast(fences.q1_value as double) as q1_value,
        cast(fences.median_value as double) as median_value,
        cast(fences.q3_value as double) as q3_value,
        cast(fences.max_value as double) as max_value,
        cast(fences.iqr_value as double) as iqr_value,
        cast(fences.lower_fence_value as double) as lower_fence_value,
        cast(fences.upper_fence_value as double) as upper_fence_value,
        cast(whiskers.lower_whisker_value as double) as lower_whisker_value,
        cast(whiskers.upper_whisker_value as double) as upper_whisker_value,
        cast(whiskers.low_outlier_count as bigint) as low_outlier_count,
        cast(whiskers.high_outlier_count as bigint) as high_outlier_count,
        cast(whiskers.low_outlier_count + whiskers.high_outlier_count as bigint) as outlier_count
    from fences
    inner join whiskers
        on
            fences.store = whiskers.store
            and fences.dimension = whiskers.dimension
            and fences.dimension_value = whiskers.dimension_value
            and fences.measure = whiskers.measure
)

select * from final
