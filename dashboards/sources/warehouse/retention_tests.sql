select * from ml.retention_tests
