-- Whether reviews were loaded at all: the real Olist download lacks the reviews file.
select
    (select count(*) from marts.fct_order_reviews) as review_count,
    (select count(*) from marts.fct_orders where store = 'olist') as olist_order_count,
    (
        select count(*) from marts.data_quality_issues
        where issue_kind = 'missing_file' and source_table = 'olist__order_reviews'
    ) as reviews_file_missing
