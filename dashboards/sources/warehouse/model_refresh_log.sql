-- Fit on schedule, score every build: the newest ml.model_refresh_log row of each persisted
-- model and store (a full build logs every model, so these are its rows; a model whose area
-- did not run on the newest build keeps the row of the build that last ran it).
select
    build_id,
    logged_at,
    area,
    model_name,
    store,
    action,
    reason,
    model_version,
    fitted_at,
    duration_seconds,
    peak_memory_mb,
    decision_seconds,
    fit_seconds,
    score_seconds
from ml.model_refresh_log
qualify row_number() over (partition by model_name, store order by logged_at desc) = 1
