select * from staging.stg_landing__file_loads
