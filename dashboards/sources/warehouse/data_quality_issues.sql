select * from marts.data_quality_issues
