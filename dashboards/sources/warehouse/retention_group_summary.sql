select * from ml.retention_group_summary
