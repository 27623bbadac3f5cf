select * from ml.segment_refresh_policy
