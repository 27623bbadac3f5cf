"""ml.demand_series: the daily demand series of every store on its explicit calendar (active
span ending by the store's data end, closed weekdays as the warehouse defines them once,
closures), the input of the forecasting
and seasonality models."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.demand import tables


@measured
def model(dbt, session):
    return tables.demand_series(
        dbt.ref("sales_daily")
        .filter("dimension in ('overall', 'country', 'category')")
        .project("store, order_date, dimension, dimension_value, order_count, net_revenue_amount")
        .df(),
        top_n=int(dbt.config.get("top_series")),
        data_ends=dbt.ref("store_data_ends").project(tables.DATA_END_COLUMNS).df(),
        closed_weekdays=dbt.ref("int_closed_weekdays_detected").project(tables.CLOSED_WEEKDAY_COLUMNS).df(),
    )
