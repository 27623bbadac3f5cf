with source as (
    select * from {{ source('olist', 'order_reviews') }}
),

typed as (
    select
        nullif(trim(review_id), '') as review_id,
        nullif(trim(order_id), '') as order_id,
        try_cast(nullif(trim(review_score), '') as integer) as review_score,
        nullif(trim(review_comment_title), '') as review_comment_title,
        nullif(trim(review_comment_message), '') as review_comment_message,
        try_cast(nullif(trim(review_creation_date), '') as timestamp) as reviewed_at,
        try_cast(nullif(trim(review_answer_timestamp), '') as timestamp) as review_answered_at,
        _source_file as source_file,
        _source_row_number as source_row_number,
        _source_line_problem as source_line_problem,
        nullif(trim(review_score), '') as review_score_text,
        nullif(trim(review_creation_date), '') as review_creation_date_text,
        nullif(trim(review_answer_timestamp), '') as review_answer_timestamp_text
    from source
),

flagged as (
    select
        *,
        review_comment_title is not null as has_comment_title,
        review_comment_message is not null as has_comment_message
    from typed
),

checked as (
    select
        *,
        case
            -- A line the landing could not read whole (longer than the line limit).
            when source_line_problem is not null then source_line_problem
            when review_id is null then 'missing review_id'
            when order_id is null then 'missing order_id'
            when {{ is_repeat_of_key(['review_id', 'order_id']) }} then 'duplicate review_id + order_id'
            when {{ failed_cast('review_score_text', 'review_score') }} then 'review_score is not an integer'
            when review_score is null then 'missing review_score'
            when review_score not between 1 and 5 then 'review_score outside 1..5'
            when {{ failed_cast('review_creation_date_text', 'reviewed_at') }}
                then 'review_creation_date is not a timestamp (YYYY-MM-DD HH:MM:SS)'
            when {{ failed_cast('review_answer_timestamp_text', 'review_answered_at') }}
                then 'review_answer_timestamp is not a timestamp (YYYY-MM-DD HH:MM:SS)'
        end as quarantine_reason,
        concat_ws(' / ', coalesce(review_id, ''), coalesce(order_id, '')) as record_key
    from flagged
),

{{ follow_parent_quarantine('checked', 'base_olist__orders', 'order_id', 'order') }},

counted as (
    select
        *,
        -- Among usable rows: Olist reuses a review_id for several orders of one purchase, and
        -- an order can be reviewed more than once.
        count(*) filter (where quarantine_reason is null) over (
            partition by review_id
        ) > 1 as review_id_has_several_orders,
        count(*) filter (where quarantine_reason is null) over (
            partition by order_id
        ) > 1 as order_has_several_reviews
    from followed
),

final as (
    select * exclude (source_line_problem, review_score_text, review_creation_date_text, review_answer_timestamp_text)
    from counted
)

select * from final
