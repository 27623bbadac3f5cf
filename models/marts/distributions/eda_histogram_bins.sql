{#- Histograms of quantity, unit price and order value, per store, overall and per RFM
    segment: one row per store + dimension + dimension_value + measure + bin_number.
    Bins 1..20 split the whisker range of eda_boxplot_stats (lower to upper whisker) in 20
    equal widths; bin 0 holds the low outliers, bin 21 the high outliers, so the bins of a
    distribution add up to its observation_count. Every bin is listed, empty ones with 0. -#}
{%- set bin_count = 20 %}
with observations as (
    select * from {{ ref('int_sales_distribution_observations') }}
),

boxplot_stats as (
    select * from {{ ref('eda_boxplot_stats') }}
),

observations_by_dimension as (
    {{ rows_by_dimension('observations', eda_dimensions()) }}
),

bin_widths as (
    select
        store,
        dimension,
        dimension_value,
        measure,
        min_value,
        max_value,
        lower_whisker_value,
        upper_whisker_value,
        (upper_whisker_value - lower_whisker_value) / {{ bin_count }} as bin_width
    from boxplot_stats
),

binned as (
    select
        observations_by_dimension.store,
        observations_by_dimension.dimension,
        observations_by_dimension.dimension_value,
        observations_by_dimension.measure,
        case
            when observations_by_dimension.observed_value < bin_widths.lower_whisker_value then 0
            when observations_by_dimension.observed_value > bin_widths.upper_whisker_value then {{ bin_count + 1 }}
            when bin_widths.bin_width = 0 then 1
            else least(
                {{ bin_count }},
                1 + floor(
                    (observations_by_dimension.observed_value - bin_widths.lower_whisker_value) / bin_widths.bin_width
                )
            )
        end as bin_number
    from observations_by_dimension
    inner join bin_widths
        on
            observations_by_dimension.store = bin_widths.store
            and observations_by_dimension.dimension = bin_widths.dimension
            and observations_by_dimension.dimension_value = bin_widths.dimension_value
            and observations_by_dimension.measure = bin_widths.measure
),

bin_counts as (
    select
        store,
        dimension,
        dimension_value,
        measure,
        bin_number,
        count(*) as observation_count
    from binned
    group by all
),

bin_numbers as (
    select cast(unnest(generate_series(0, {{ bin_count + 1 }})) as integer) as bin_number
),

bins as (
    select
        bin_widths.*,
        bin_numbers.bin_number,
        case
            when bin_numbers.bin_number = 0 then bin_widths.min_value
            when bin_numbers.bin_number = {{ bin_count + 1 }} then bin_widths.upper_whisker_value
            else bin_widths.lower_whisker_value + (bin_numbers.bin_number - 1) * bin_widths.bin_width
        end as bin_lower_value,
        case
            when bin_numbers.bin_number = 0 then bin_widths.lower_whisker_value
            when bin_numbers.bin_number = {{ bin_count + 1 }} then bin_widths.max_value
            else bin_widths.lower_whisker_value + bin_numbers.bin_number * bin_widths.bin_width
        end as bin_upper_value
    from bin_widths
    cross join bin_numbers
),

final as (
    select
        bins.store,
        bins.dimension,
        bins.dimension_value,
        bins.measure,
        cast(bins.bin_number as integer) as bin_number,
        case
            when bins.bin_number = 0 then 'low outliers'
            when bins.bin_number = {{ bin_count + 1 }} then 'high outliers'
            else 'bin'
        end as bin_kind,
        cast(bins.bin_lower_value as double) as bin_lower_value,
        cast(bins.bin_upper_value as double) as bin_upper_value,
        cast(coalesce(bin_counts.observation_count, 0) as bigint) as observation_count,
        cast(
            coalesce(bin_counts.observation_count, 0)
            / sum(coalesce(bin_counts.observation_count, 0)) over (
                partition by bins.store, bins.dimension, bins.dimension_value, bins.measure
            ) as double
        ) as observation_share
    from bins
    left outer join bin_counts
        on
            bins.store = bin_counts.store
            and bins.dimension = bin_counts.dimension
            and bins.dimension_value = bin_counts.dimension_value
            and bins.measure = bin_counts.measure
            and bins.bin_number = bin_counts.bin_number
)

select * from final
