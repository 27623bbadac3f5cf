select * from ml.resource_plan
