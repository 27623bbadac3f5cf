{{ rows_passing_checks('base_olist__customers') }}
