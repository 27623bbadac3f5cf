select * from ml.segment_stability
