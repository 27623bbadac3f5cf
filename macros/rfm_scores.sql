{#-
    RFM scoring, shared by the three scores of marts.customer_rfm.

    Score 1-5 of a value within its store, by percent rank with ties kept together:
        score = least(5, 1 + floor(5 * percent_rank))
        percent_rank = (rank - 1) / (customers - 1), rank = rank() (the lowest position of
        the tied block), ordered from worst to best.
    Computed in integers, so no floating-point edge decides a score. Tied values always get
    the same score, the score of the lowest position of their block: a value shared by many
    customers is never split arbitrarily (unlike ntile). So when 97% of Olist customers have
    frequency 1, they all score F = 1 (percent rank 0) and every repeat customer scores 5
    (percent rank >= 0.97): scores 2-4 stay empty rather than cutting the one-order block. With
    distinct values the scores are quintiles (top 20% score 5). A store with one customer
    scores 1.
-#}
{% macro rfm_quintile_score(value_column, higher_is_better=true, partition_by='store') -%}
    cast(least(
        5,
        1 + divide(
            5 * (rank() over (
                partition by {{ partition_by }}
                order by {{ value_column }} {{ 'asc' if higher_is_better else 'desc' }}
            ) - 1),
            greatest(count(*) over (partition by {{ partition_by }}) - 1, 1)
        )
    ) as integer)
{%- endmacro %}
