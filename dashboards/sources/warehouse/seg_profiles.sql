select * from ml.segment_profiles
