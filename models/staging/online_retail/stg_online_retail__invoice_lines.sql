{{ rows_passing_checks('base_online_retail__invoice_lines') }}
