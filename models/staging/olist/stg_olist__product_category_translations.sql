{{ rows_passing_checks('base_olist__product_category_name_translation') }}
