-- One data end per store in every ml model (severity error: our own invariant, not an input
-- assumption). marts.store_data_ends.data_end_date is each store's last complete day, defined
-- once in SQL: the models that score "today" look from the day after it, the demand series end
-- on it and the forecasts start the day after, the labelled and experiment outcome windows
-- end by the day after it, the recommendations hold out the baskets up to it. One row per
-- model, store and rule broken, with the dates found.
{{ config(severity='error') }}

with

customers as (
    select * from {{ ref('customer_features') }}
),

data_ends as (
    select
        store,
        data_end_date,
        data_end_date + 1 as scoring_date
    from {{ ref('store_data_ends') }}
),

churn_scores as (
    select
        'churn_scores' as model_name,
        'scores_as_of_the_day_after' as rule_name,
        store,
        min(as_of_date) as first_date,
        max(as_of_date) as last_date
    from {{ ref('churn_scores') }}
    group by store
),

customer_value_predictions as (
    select
        'customer_value_predictions' as model_name,
        'scores_as_of_the_day_after' as rule_name,
        store,
        min(as_of_date) as first_date,
        max(as_of_date) as last_date
    from {{ ref('customer_value_predictions') }}
    group by store
),

store_value_forecast as (
    select
        'store_value_forecast' as model_name,
        'scores_as_of_the_day_after' as rule_name,
        store,
        min(as_of_date) as first_date,
        max(as_of_date) as last_date
    from {{ ref('store_value_forecast') }}
    group by store
),

scoring_fits as (
    select
        'customer_value_model_fits' as model_name,
        'scores_as_of_the_day_after' as rule_name,
        store,
        min(as_of_date) as first_date,
        max(as_of_date) as last_date
    from {{ ref('customer_value_model_fits') }}
    where fit_purpose = 'scoring'
    group by store
),

labelled_windows as (
    select
        'customer_value_examples' as model_name,
        'windows_end_by_the_day_after' as rule_name,
        store,
        min(as_of_date + cast(horizon_days as integer)) as first_date,
        max(as_of_date + cast(horizon_days as integer)) as last_date
    from {{ ref('customer_value_examples') }}
    group by store
),

demand_series as (
    select
        'demand_series' as model_name,
        'ends_on_the_data_end' as rule_name,
        store,
        min(series_date) as first_date,
        max(series_date) as last_date
    from {{ ref('demand_series') }}
    group by store
),

demand_forecast as (
    select
        'demand_forecast' as model_name,
        'starts_the_day_after' as rule_name,
        store,
        min(forecast_date) as first_date,
        max(forecast_date) as last_date
    from {{ ref('demand_forecast') }}
    group by store
),

resource_plan as (
    select
        'resource_plan' as model_name,
        'starts_the_day_after' as rule_name,
        store,
        min(plan_date) as first_date,
        max(plan_date) as last_date
    from {{ ref('resource_plan') }}
    group by store
),

experiment_windows as (
    select
        'experiment_assignments' as model_name,
        'windows_end_by_the_day_after' as rule_name,
        store,
        min(outcome_window_end) as first_date,
        max(outcome_window_end) as last_date
    from {{ ref('experiment_assignments') }}
    group by store
),

recommendation_hold_out as (
    select
        'recommendation_metrics' as model_name,
        'is_the_data_end' as rule_name,
        store,
        min(test_end_date) as first_date,
        max(test_end_date) as last_date
    from {{ ref('recommendation_metrics') }}
    group by store
),

customer_360 as (
    select
        'customer_360' as model_name,
        'scores_as_of_the_day_after' as rule_name,
        store,
        min(as_of_date) as first_date,
        max(as_of_date) as last_date
    from {{ ref('customer_360') }}
    group by store
),

customer_segments as (
    select
        'customer_segments' as model_name,
        'scores_as_of_the_day_after' as rule_name,
        store,
        min(as_of_date) as first_date,
        max(as_of_date) as last_date
    from {{ ref('customer_segments') }}
    group by store
),

customer_rows as (
    select
        'customer_360' as model_name,
        store,
        customer_key,
        unscored_reason
    from {{ ref('customer_360') }}
    union all
    select
        'customer_segments' as model_name,
        store,
        customer_key,
        unscored_reason
    from {{ ref('customer_segments') }}
    union all
    select
        'churn_scores' as model_name,
        store,
        customer_key,
        unscored_reason
    from {{ ref('churn_scores') }}
    union all
    select
        'customer_value_predictions' as model_name,
        store,
        customer_key,
        unscored_reason
    from {{ ref('customer_value_predictions') }}
),

-- Scored rows: their last sale order is on or before the data end (last_date); unscored
-- rows: after it (first_date).
customer_last_orders as (
    select
        customer_rows.model_name,
        case
            when customer_rows.unscored_reason is null then 'scored_orders_end_by_the_data_end'
            else 'unscored_orders_after_the_data_end'
        end as rule_name,
        customers.store,
        min(customers.last_order_date) as first_date,
        max(customers.last_order_date) as last_date
    from customer_rows
    inner join customers
        on customer_rows.store = customers.store and customer_rows.customer_key = customers.customer_key
    group by all
),

model_dates as (
    select * from churn_scores
    union all
    select * from customer_360
    union all
    select * from customer_segments
    union all
    select * from customer_last_orders
    union all
    select * from customer_value_predictions
    union all
    select * from store_value_forecast
    union all
    select * from scoring_fits
    union all
    select * from labelled_windows
    union all
    select * from demand_series
    union all
    select * from demand_forecast
    union all
    select * from resource_plan
    union all
    select * from experiment_windows
    union all
    select * from recommendation_hold_out
),

checked as (
    select
        model_dates.model_name,
        model_dates.rule_name,
        model_dates.store,
        model_dates.first_date,
        model_dates.last_date,
        data_ends.data_end_date,
        case model_dates.rule_name
            when 'scores_as_of_the_day_after'
                then
                    model_dates.first_date = data_ends.scoring_date
                    and model_dates.last_date = data_ends.scoring_date
            when 'starts_the_day_after' then model_dates.first_date = data_ends.scoring_date
            when 'ends_on_the_data_end' then model_dates.last_date = data_ends.data_end_date
            when 'windows_end_by_the_day_after' then model_dates.last_date <= data_ends.scoring_date
            when 'scored_orders_end_by_the_data_end' then model_dates.last_date <= data_ends.data_end_date
            when 'unscored_orders_after_the_data_end' then model_dates.first_date > data_ends.data_end_date
            when 'is_the_data_end'
                then
                    model_dates.first_date = data_ends.data_end_date
                    and model_dates.last_date = data_ends.data_end_date
        end as follows_rule
    from model_dates
    left outer join data_ends on model_dates.store = data_ends.store
),

final as (
    select *
    from checked
    where follows_rule is distinct from true
)

select * from final
