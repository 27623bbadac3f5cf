{#-
    Revenue, defined once for every store. Every order line gets a line_type, and from it
    and its signed amount (quantity x unit price, in the store's currency) three amounts:

        gross_sales_amount   value sold: sale lines (also the items of Olist orders later
                             cancelled); >= 0 on every real line
        cancellation_amount  value cancelled or returned, as a positive number
        net_revenue_amount   gross_sales_amount - cancellation_amount

    line_type, Online Retail (one invoice line):
        sale                 a line of an ordinary invoice with quantity > 0, product or not:
                             postage (POST, DOT, C2), fees, manual lines and samples count;
                             is_product tells them apart. Price 0 lines count 0.
        cancellation         a line of a C invoice (cancellation or return, quantity < 0); the
                             source books discounts (StockCode D) on C invoices, so they count
                             here too. Counts in cancellation_amount, not in gross sales.
        stock_write_off      quantity < 0 outside a C invoice (damaged, lost, found stock; all
                             at price 0 in the UCI data): no revenue, no cancellation.
        bad_debt_adjustment  a line of an A invoice (StockCode B, "Adjust bad debt",
                             +/- 11,062.06 in the UCI data): an accounting entry, not a sale;
                             excluded from every amount.
    line_type, Olist (one order item, quantity 1):
        sale                 item of an order whose status is not canceled / unavailable
        cancelled_sale       item of a canceled or unavailable order: in gross sales and, for
                             the same value, in cancellations, so net 0.
    Olist net revenue is therefore GMV: the item price of the orders not canceled or
    unavailable. Freight is never revenue here: it stays apart in freight_amount.
-#}

{#- Olist order statuses whose items count as cancelled. -#}
{% macro olist_cancelled_order_statuses() -%}
    {{ return(['canceled', 'unavailable']) }}
{%- endmacro %}

{#- All line types, for accepted_values tests and documentation. -#}
{% macro revenue_line_types() -%}
    {{ return(['sale', 'cancellation', 'stock_write_off', 'bad_debt_adjustment', 'cancelled_sale']) }}
{%- endmacro %}

{#- line_type of an Online Retail invoice line (columns of stg_online_retail__invoice_lines). -#}
{% macro online_retail_line_type(
    quantity='quantity', is_cancellation='is_cancellation', is_bad_debt_adjustment='is_bad_debt_adjustment'
) -%}
    case
        when {{ is_bad_debt_adjustment }} then 'bad_debt_adjustment'
        when {{ is_cancellation }} then 'cancellation'
        when {{ quantity }} < 0 then 'stock_write_off'
        else 'sale'
    end
{%- endmacro %}

{#- line_type of an Olist order item, from the status of its order. -#}
{% macro olist_line_type(order_status='order_status') -%}
    case
        when {{ order_status }} in (
            {%- for status in olist_cancelled_order_statuses() -%}
                '{{ status }}'{{ ', ' if not loop.last }}
            {%- endfor -%}
        ) then 'cancelled_sale'
        else 'sale'
    end
{%- endmacro %}

{#- True when the Olist order status counts as cancelled (canceled, unavailable). -#}
{% macro is_olist_cancelled_status(order_status='order_status') -%}
    coalesce({{ order_status }} in (
        {%- for status in olist_cancelled_order_statuses() -%}
            '{{ status }}'{{ ', ' if not loop.last }}
        {%- endfor -%}
    ), false)
{%- endmacro %}

{#- The three revenue columns of a line, from its line_type and signed amount. -#}
{% macro revenue_amounts(line_type='line_type', line_amount='line_amount') -%}
    cast(case
        when {{ line_type }} in ('sale', 'cancelled_sale') then {{ line_amount }}
        else 0
    end as decimal(18, 4)) as gross_sales_amount,
    cast(case
        when {{ line_type }} = 'cancellation' then -({{ line_amount }})
        when {{ line_type }} = 'cancelled_sale' then {{ line_amount }}
        else 0
    end as decimal(18, 4)) as cancellation_amount,
    cast(case
        when {{ line_type }} in ('sale', 'cancellation') then {{ line_amount }}
        else 0
    end as decimal(18, 4)) as net_revenue_amount
{%- endmacro %}
