{#- Histograms of quantity, unit price and order value, per store, overall and per RFM
    segment: one row per store + dimension + dimension_value + measure + bin_number.
    Bins 1..20 split the whisker range of eda_boxplot_stats (lower to upper whisker) in 20
    equal widths; bin 0 holds the low outliers, bin 21 the high outliers, so the bins of a
    distribution add up to its observation_count. Every bin is listed, empty ones with 0.
    Binned from the value counts of int_sales_values_segmented, not the lines. -#}
{%- set bin_count = 20 %}
with value_counts as (
    select * from {{ ref('int_sales_values_segmented') }}
),

boxplot_stats as (
    select * from {{ ref('eda_boxplot_stats') }}
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

values_double as (
    select
        *,
        cast(observed_value as double) as value_double
    from value_counts
),

binned as (
    select
        values_double.store,
        values_double.dimension,
        values_double.dimension_value,
        values_double.measure,
        values_double.observation_count,
        case
            when values_double.value_double < bin_widths.lower_whisker_value then 0
            when values_double.value_double > bin_widths.upper_whisker_value then {{ bin_count + 1 }}
            when bin_widths.bin_width = 0 then 1
            else least(
                {{ bin_count }},
                1 + floor(
                    (values_double.value_double - bin_widths.lower_whisker_value) / bin_widths.bin_width
                )
            )
        end as bin_number
    from values_double
    inner join bin_widths
        on
            values_double.store = bin_widths.store
            and values_double.dimension = bin_widths.dimension
            and values_double.dimension_value = bin_widths.dimension_value
            and values_double.measure = bin_widths.measure
),

bin_counts as (
    select
        store,
        dimension,
        dimension_value,
        measure,
        bin_number,
        cast(sum(observation_count) as bigint) as observation_count
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
