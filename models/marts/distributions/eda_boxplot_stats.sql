{#- Boxplot statistics of quantity, unit price (per sale line) and order value (per sale
    order not cancelled), per store, overall and per RFM segment: one row per store +
    dimension + dimension_value + measure, from the value counts of
    int_sales_values_segmented (not the lines). The quartiles are quantile_cont's, computed
    from the counts: a distribution of n values sorted, the quartile q sits at position
    (n - 1) x q (from 0); its value is lo x (1 - f) + hi x f, f = position - floor(position),
    lo and hi the values at floor and ceil of the position (DuckDB 1.5's interpolation, in the
    same double arithmetic: lo + (hi - lo) x f differs in the last bit), and the value at
    position p is the smallest value whose cumulative count exceeds p. The mean is the exact decimal sum over the count. Tukey whiskers: the
    fences are q1 - 1.5 x IQR and q3 + 1.5 x IQR, the whiskers end at the most extreme values
    inside them, values outside are outliers. With interpolated quartiles a whisker can end
    inside the box on small samples (values 1, 100, 101, 102), so only min <= whiskers <= max
    is required. -#}
with value_counts as (
    select * from {{ ref('int_sales_values_segmented') }}
),

-- Each value with the count of the values up to it in its distribution.
cumulated as (
    select
        store,
        dimension,
        dimension_value,
        measure,
        observed_value,
        cast(observed_value as double) as value_double,
        observation_count,
        sum(observation_count) over (
            partition by store, dimension, dimension_value, measure
            order by observed_value
            rows between unbounded preceding and current row
        ) as cumulative_count
    from value_counts
),

distribution_totals as (
    select
        store,
        dimension,
        dimension_value,
        measure,
        sum(observation_count) as observation_count,
        round(
            cast(sum(observed_value * observation_count) as double) / cast(sum(observation_count) as double), 6
        ) as mean_value,
        min(value_double) as min_value,
        max(value_double) as max_value
    from cumulated
    group by store, dimension, dimension_value, measure
),

-- The position of each quartile among the sorted values, as quantile_cont computes it, and
-- its fraction past the value at its floor.
quartile_positions as (
    select
        *,
        cast(observation_count - 1 as double) * 0.25 as q1_position,
        cast(observation_count - 1 as double) * 0.5 as median_position,
        cast(observation_count - 1 as double) * 0.75 as q3_position,
        cast(observation_count - 1 as double) * 0.25
        - floor(cast(observation_count - 1 as double) * 0.25) as q1_fraction,
        cast(observation_count - 1 as double) * 0.5
        - floor(cast(observation_count - 1 as double) * 0.5) as median_fraction,
        cast(observation_count - 1 as double) * 0.75
        - floor(cast(observation_count - 1 as double) * 0.75) as q3_fraction
    from distribution_totals
),

-- The values at the floor and the ceiling of each position.
quartile_bounds as (
    select
        quartile_positions.store,
        quartile_positions.dimension,
        quartile_positions.dimension_value,
        quartile_positions.measure,
        min(cumulated.value_double) filter (
            where cumulated.cumulative_count > floor(quartile_positions.q1_position)
        ) as q1_low_value,
        min(cumulated.value_double) filter (
            where cumulated.cumulative_count > ceil(quartile_positions.q1_position)
        ) as q1_high_value,
        min(cumulated.value_double) filter (
            where cumulated.cumulative_count > floor(quartile_positions.median_position)
        ) as median_low_value,
        min(cumulated.value_double) filter (
            where cumulated.cumulative_count > ceil(quartile_positions.median_position)
        ) as median_high_value,
        min(cumulated.value_double) filter (
            where cumulated.cumulative_count > floor(quartile_positions.q3_position)
        ) as q3_low_value,
        min(cumulated.value_double) filter (
            where cumulated.cumulative_count > ceil(quartile_positions.q3_position)
        ) as q3_high_value
    from quartile_positions
    inner join cumulated
        on
            quartile_positions.store = cumulated.store
            and quartile_positions.dimension = cumulated.dimension
            and quartile_positions.dimension_value = cumulated.dimension_value
            and quartile_positions.measure = cumulated.measure
    group by all
),

quartiles as (
    select
        quartile_positions.*,
        quartile_bounds.q1_low_value * (1 - quartile_positions.q1_fraction)
        + quartile_bounds.q1_high_value * quartile_positions.q1_fraction as q1_value,
        quartile_bounds.median_low_value * (1 - quartile_positions.median_fraction)
        + quartile_bounds.median_high_value * quartile_positions.median_fraction as median_value,
        quartile_bounds.q3_low_value * (1 - quartile_positions.q3_fraction)
        + quartile_bounds.q3_high_value * quartile_positions.q3_fraction as q3_value
    from quartile_positions
    inner join quartile_bounds
        on
            quartile_positions.store = quartile_bounds.store
            and quartile_positions.dimension = quartile_bounds.dimension
            and quartile_positions.dimension_value = quartile_bounds.dimension_value
            and quartile_positions.measure = quartile_bounds.measure
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
        cumulated.store,
        cumulated.dimension,
        cumulated.dimension_value,
        cumulated.measure,
        min(cumulated.value_double) filter (
            where cumulated.value_double >= fences.lower_fence_value
        ) as lower_whisker_value,
        max(cumulated.value_double) filter (
            where cumulated.value_double <= fences.upper_fence_value
        ) as upper_whisker_value,
        coalesce(sum(cumulated.observation_count) filter (
            where cumulated.value_double < fences.lower_fence_value
        ), 0) as low_outlier_count,
        coalesce(sum(cumulated.observation_count) filter (
            where cumulated.value_double > fences.upper_fence_value
        ), 0) as high_outlier_count
    from cumulated
    inner join fences
        on
            cumulated.store = fences.store
            and cumulated.dimension = fences.dimension
            and cumulated.dimension_value = fences.dimension_value
            and cumulated.measure = fences.measure
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
