{#- A reconciliation: fails for every group whose totals differ between the model and the
    relation `to` it summarises, e.g. a mart's orders and net revenue per store and day
    against fct_orders'. Arguments and output: totals_differences (macros/reconciliation.sql). -#}
{% test totals_match(model, to, measures, group_by=[], to_group_by=none, model_filter=none, to_filter=none) %}

    {{ totals_differences(model, to, measures, group_by, to_group_by, model_filter, to_filter) }}

{% endtest %}
