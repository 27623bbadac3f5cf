{{ rows_passing_checks('base_olist__order_payments') }}
