select * from marts.olist_review_score_by_lateness
