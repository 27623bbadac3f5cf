{#- The calendar MetricFlow aggregates metric_time on (day, week, month, quarter, year): one
    row per day of dim_date, which spans every date a fact refers to, in whole weeks and
    months. -#}
with calendar as (
    select * from {{ ref('dim_date') }}
),

final as (
    select date_day
    from calendar
)

select * from final
