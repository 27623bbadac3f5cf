{{ rows_passing_checks('base_olist__sellers') }}
