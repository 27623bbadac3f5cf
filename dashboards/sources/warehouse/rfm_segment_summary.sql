select * from marts.rfm_segment_summary
