-- Which predictions beat a simple baseline: one row per store and prediction, from the ml
-- metrics tables (every figure out of time, the model chosen on earlier data): the best model
-- (the served one when a model is served), the hardest simple baseline, the gain with its 95%
-- interval, whether the model beats the baseline and what is served. gain > 0 is better for
-- the model in every row (errors are turned around). Segmentation predicts nothing: its row
-- reports the stability gate instead, with no baseline.
with

churn_candidates as (
    select
        store,
        model_name,
        target_name,
        horizon_days,
        roc_auc,
        roc_auc - roc_auc_lift_vs_baseline as baseline_roc_auc,
        roc_auc_lift_vs_baseline,
        roc_auc_gain_ci_lower,
        roc_auc_gain_ci_upper,
        beats_baseline,
        served_reason
    from ml.churn_model_metrics
    where not is_baseline
    -- the served classifier, else the one ranked first at the selection cutoff
    qualify row_number() over (
        partition by store
        order by is_best desc, coalesce(selection_roc_auc_gain_lower > 0, false) desc, selection_pr_auc desc, model_name
    ) = 1
),

churn_served as (
    select
        store,
        model_name as served_name
    from ml.churn_model_metrics
    where is_best
),

churn as (
    select
        candidates.store,
        1 as prediction_order,
        case candidates.target_name
            when 'repeat_purchase' then 'Repeat purchase'
            else 'Churn'
        end || ' in ' || candidates.horizon_days || ' days' as prediction,
        'ROC-AUC' as metric,
        candidates.model_name,
        candidates.roc_auc as model_score,
        'recency_baseline' as baseline_name,
        candidates.baseline_roc_auc as baseline_score,
        candidates.roc_auc_lift_vs_baseline as gain,
        candidates.roc_auc_gain_ci_lower as gain_lower_95,
        candidates.roc_auc_gain_ci_upper as gain_upper_95,
        served.served_name,
        served.served_name != 'recency_baseline' as beats_baseline,
        candidates.served_reason as reason
    from churn_candidates as candidates
    inner join churn_served as served on candidates.store = served.store
),

value_candidates as (
    select
        store,
        target_name,
        horizon_days,
        model_name,
        rmse,
        best_baseline_name,
        rmse_diff_vs_best_baseline,
        rmse_diff_lower_95,
        rmse_diff_upper_95,
        verdict
    from ml.customer_value_metrics
    where not is_baseline
    qualify row_number() over (
        partition by store, target_name order by is_best desc, fit_problem is null desc, rmse, model_name
    ) = 1
),

value_served as (
    select
        store,
        target_name,
        model_name as served_name,
        is_baseline as serves_baseline
    from ml.customer_value_metrics
    where is_best
),

value_baselines as (
    select
        store,
        target_name,
        model_name,
        rmse
    from ml.customer_value_metrics
    where is_baseline
),

customer_value as (
    select
        candidates.store,
        case candidates.target_name when 'spend_next_h' then 2 else 3 end as prediction_order,
        case candidates.target_name
            when 'spend_next_h' then 'Spend in the next ' || candidates.horizon_days || ' days'
            else '12-month customer value'
        end as prediction,
        'RMSE (gain: lower error)' as metric,
        candidates.model_name,
        candidates.rmse as model_score,
        candidates.best_baseline_name as baseline_name,
        baselines.rmse as baseline_score,
        -candidates.rmse_diff_vs_best_baseline as gain,
        -candidates.rmse_diff_upper_95 as gain_lower_95,
        -candidates.rmse_diff_lower_95 as gain_upper_95,
        served.served_name,
        not served.serves_baseline as beats_baseline,
        candidates.verdict as reason
    from value_candidates as candidates
    inner join value_served as served
        on candidates.store = served.store and candidates.target_name = served.target_name
    left outer join value_baselines as baselines
        on
            candidates.store = baselines.store
            and candidates.target_name = baselines.target_name
            and candidates.best_baseline_name = baselines.model_name
),

next_order_model as (
    select
        store,
        method_name,
        transaction_model_name,
        median_abs_error_days,
        median_abs_error_diff_vs_baseline,
        baseline_diff_lower_95,
        baseline_diff_upper_95,
        beats_best_baseline,
        selection_cutoff
    from ml.next_order_metrics
    where method_name = 'transaction_model_median_wait'
),

next_order_baseline as (
    select
        store,
        method_name,
        median_abs_error_days
    from ml.next_order_metrics
    where is_best_baseline
),

next_order_served as (
    select
        store,
        method_name as served_name
    from ml.next_order_metrics
    where is_served
),

next_order as (
    select
        model.store,
        4 as prediction_order,
        'Next order date' as prediction,
        'median absolute error, days (gain: fewer days)' as metric,
        model.transaction_model_name as model_name,
        model.median_abs_error_days as model_score,
        baseline.method_name as baseline_name,
        baseline.median_abs_error_days as baseline_score,
        -model.median_abs_error_diff_vs_baseline as gain,
        -model.baseline_diff_upper_95 as gain_lower_95,
        -model.baseline_diff_lower_95 as gain_upper_95,
        served.served_name,
        model.beats_best_baseline as beats_baseline,
        'baseline chosen at ' || coalesce(cast(model.selection_cutoff as varchar), 'no earlier cutoff')
        || '; served: ' || served.served_name as reason
    from next_order_model as model
    inner join next_order_baseline as baseline on model.store = baseline.store
    inner join next_order_served as served on model.store = served.store
),

demand_candidates as (
    select
        store,
        series_id,
        model_name,
        mean_mase,
        mase_vs_seasonal_naive,
        evaluation_folds_won,
        fold_count,
        choice_reason
    from ml.forecast_model_selection
    where series_id like 'orders|overall|%' and is_candidate
),

demand_naive as (
    select
        store,
        series_id,
        mean_mase
    from ml.forecast_model_selection
    where series_id like 'orders|overall|%' and model_name = 'seasonal_naive'
),

demand_chosen as (
    select
        store,
        series_id,
        model_name as served_name
    from ml.forecast_model_selection
    where series_id like 'orders|overall|%' and is_chosen
),

demand_series_won as (
    select
        store,
        count(*) filter (where is_chosen and model_name != 'seasonal_naive') as series_with_model,
        count(distinct series_id) as series_count
    from ml.forecast_model_selection
    group by store
),

demand as (
    select
        candidates.store,
        5 as prediction_order,
        'Daily orders forecast' as prediction,
        'MASE (gain: lower error)' as metric,
        candidates.model_name,
        candidates.mean_mase as model_score,
        'seasonal_naive' as baseline_name,
        naive.mean_mase as baseline_score,
        naive.mean_mase - candidates.mean_mase as gain,
        cast(null as double) as gain_lower_95,
        cast(null as double) as gain_upper_95,
        chosen.served_name,
        chosen.served_name != 'seasonal_naive' as beats_baseline,
        'overall orders: ' || candidates.choice_reason || '; a model serves ' || won.series_with_model || ' of '
        || won.series_count || ' demand series, seasonal naive the others' as reason
    from demand_candidates as candidates
    inner join demand_naive as naive
        on candidates.store = naive.store and candidates.series_id = naive.series_id
    inner join demand_chosen as chosen
        on candidates.store = chosen.store and candidates.series_id = chosen.series_id
    inner join demand_series_won as won on candidates.store = won.store
),

recommendation_served as (
    select
        store,
        item_level,
        protocol,
        k,
        method as served_name,
        not is_baseline and coalesce(beats_best_baseline, false) as beats_baseline
    from ml.recommendation_metrics
    where is_serving_method and is_headline_protocol
),

recommendation_candidates as (
    -- the served method, else the best other method at the served level, protocol and k
    select
        metrics.*,
        served.served_name,
        served.beats_baseline as serves_a_model
    from ml.recommendation_metrics as metrics
    inner join recommendation_served as served
        on
            metrics.store = served.store
            and metrics.item_level = served.item_level
            and metrics.protocol = served.protocol
            and metrics.k = served.k
    where not metrics.is_baseline
    qualify row_number() over (
        partition by metrics.store
        order by metrics.is_serving_method desc, metrics.hit_rate_at_k desc, metrics.method
    ) = 1
),

recommendations as (
    select
        store,
        6 as prediction_order,
        'Recommendations, new items (' || item_level || ' level, hit rate at ' || k || ')' as prediction,
        'hit rate at k' as metric,
        method as model_name,
        hit_rate_at_k as model_score,
        best_baseline as baseline_name,
        hit_rate_at_k - hit_rate_vs_best_baseline as baseline_score,
        hit_rate_vs_best_baseline as gain,
        hit_rate_gain_lower_95 as gain_lower_95,
        hit_rate_gain_upper_95 as gain_upper_95,
        served_name,
        serves_a_model as beats_baseline,
        method || ': ' || verdict || '; served: ' || served_name as reason
    from recommendation_candidates
),

segmentation as (
    select
        store,
        7 as prediction_order,
        'Customer segments (' || method || ', k ' || coalesce(cast(k as varchar), '-') || ')' as prediction,
        'bootstrap ARI (stability, no baseline)' as metric,
        method as model_name,
        bootstrap_ari as model_score,
        cast(null as varchar) as baseline_name,
        cast(null as double) as baseline_score,
        cast(null as double) as gain,
        cast(null as double) as gain_lower_95,
        cast(null as double) as gain_upper_95,
        method as served_name,
        cast(null as boolean) as beats_baseline,
        'segments describe customers and predict nothing, so no baseline applies; bootstrap ARI '
        || coalesce(format('{:.2f} [{:.2f}, {:.2f}]', bootstrap_ari, bootstrap_ari_lower, bootstrap_ari_upper), 'not measured')
        || ', stability gate '
        || case when passes_stability_gate then 'passed' else 'not passed' end
        || ': ' || selection_reason as reason
    from ml.segmentation_model_selection
    where is_chosen
),

comparisons as (
    select * from churn
    union all
    select * from customer_value
    union all
    select * from next_order
    union all
    select * from demand
    union all
    select * from recommendations
    union all
    select * from segmentation
),

final as (
    select
        *,
        case
            when beats_baseline is null then 'no baseline comparison'
            when beats_baseline then model_name || ' beats ' || baseline_name
            else 'no model beats ' || baseline_name
        end as verdict
    from comparisons
)

select * from final
order by store desc, prediction_order, prediction
