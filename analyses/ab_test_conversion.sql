{#- A/B test of conversion in plain SQL, for analysts: per experiment of the seed
    experiment_definitions, the conversion of control and treatment from
    ml.experiment_assignments, the difference with its 95% (unpooled, Wald) interval and the
    pooled two-proportion z statistic with its two-sided p-value. It reproduces the
    two_proportion_z rows of ml.experiment_results (retail_warehouse.ml.experiments).
    Compile with `dbt compile --select ab_test_conversion` and run the SQL in
    target/compiled/ against the warehouse. Left out with the ML models (var ml_enabled). -#}
{{ config(enabled=var('ml_enabled', true)) }}

with assignments as (
    select * from {{ ref('experiment_assignments') }}
),

variant_totals as (
    select
        experiment_id,
        count(*) filter (where variant = 'control') as control_units,
        count(*) filter (where variant = 'control' and converted) as control_conversions,
        count(*) filter (where variant = 'treatment') as treatment_units,
        count(*) filter (where variant = 'treatment' and converted) as treatment_conversions
    from assignments
    group by experiment_id
),

rates as (
    select
        *,
        control_conversions / control_units as control_rate,
        treatment_conversions / treatment_units as treatment_rate,
        (control_conversions + treatment_conversions) / (control_units + treatment_units) as pooled_rate
    from variant_totals
    where control_units > 0 and treatment_units > 0
),

statistics as (
    select
        *,
        treatment_rate - control_rate as rate_difference,
        sqrt(
            control_rate * (1 - control_rate) / control_units
            + treatment_rate * (1 - treatment_rate) / treatment_units
        ) as unpooled_standard_error,
        sqrt(pooled_rate * (1 - pooled_rate) * (1 / control_units + 1 / treatment_units)) as pooled_standard_error
    from rates
),

z_scores as (
    select
        *,
        rate_difference / nullif(pooled_standard_error, 0) as z_statistic,
        -- Abramowitz-Stegun 7.1.26 (DuckDB has no erf): 1 - erf(|z| / sqrt 2), error < 1.5e-7.
        1 / (1 + 0.3275911 * abs(rate_difference / nullif(pooled_standard_error, 0)) / sqrt(2)) as erf_t
    from statistics
),

final as (
    select
        experiment_id,
        control_units,
        treatment_units,
        control_rate,
        treatment_rate,
        rate_difference,
        rate_difference - 1.959964 * unpooled_standard_error as ci_lower,
        rate_difference + 1.959964 * unpooled_standard_error as ci_upper,
        z_statistic,
        erf_t * (
            0.254829592 + erf_t * (
                -0.284496736 + erf_t * (1.421413741 + erf_t * (-1.453152027 + erf_t * 1.061405429))
            )
        ) * exp(-z_statistic * z_statistic / 2) as p_value
    from z_scores
)

select * from final
