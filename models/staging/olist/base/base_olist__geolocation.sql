{#- Rebuilt only when its raw table changed (an incremental model read whole,
    macros/incremental_groups.sql): a day appended to the orders leaves it as it was. -#}
{{ config(**incremental_config(
    'group',
    pre_hook="{{ recompute_changed_groups([whole_input_source(landed_relation('olist__geolocation'))]) }}",
)) }}

with source as (
    select * from {{ source('olist', 'geolocation') }}
    where {{ in_changed_groups('null') }}
),

typed as (
    select
        -- Text with leading zeros; a prefix that lost them (opened in a spreadsheet) is re-padded.
        case
            when regexp_full_match(trim(geolocation_zip_code_prefix), '[0-9]{1,5}')
                then lpad(trim(geolocation_zip_code_prefix), 5, '0')
        end as zip_code_prefix,
        try_cast(nullif(trim(geolocation_lat), '') as double) as latitude,
        try_cast(nullif(trim(geolocation_lng), '') as double) as longitude,
        nullif(trim(geolocation_city), '') as city,
        -- A state code is two letters (UF); anything else cannot be read and is kept as null.
        case
            when regexp_full_match(upper(trim(geolocation_state)), '[A-Z]{2}') then upper(trim(geolocation_state))
        end as state,
        _source_file as source_file,
        _source_row_number as source_row_number,
        _source_line_problem as source_line_problem,
        nullif(trim(geolocation_zip_code_prefix), '') as zip_code_prefix_text,
        nullif(trim(geolocation_lat), '') as latitude_text,
        nullif(trim(geolocation_lng), '') as longitude_text,
        nullif(trim(geolocation_state), '') as state_text
    from source
),

flagged as (
    select
        *,
        state_text is not null and state is null as is_state_unreadable
    from typed
),

checked as (
    select
        *,
        case
            -- A line the landing could not read whole (longer than the line limit).
            when source_line_problem is not null then source_line_problem
            when zip_code_prefix_text is null then 'missing geolocation_zip_code_prefix'
            when {{ failed_cast('zip_code_prefix_text', 'zip_code_prefix') }}
                then 'geolocation_zip_code_prefix is not a zip code prefix (1 to 5 digits)'
            when {{ failed_cast('latitude_text', 'latitude') }} then 'geolocation_lat is not a number'
            when latitude is null then 'missing geolocation_lat'
            when {{ failed_cast('longitude_text', 'longitude') }} then 'geolocation_lng is not a number'
            when longitude is null then 'missing geolocation_lng'
            -- No key: the table is a lookup, and repeated rows would only weight it. Repeats
            -- are found on the typed values (-23.5 and -23.50 are one point), the values the
            -- staging grain is tested on.
            when {{ is_repeat_of_key(['zip_code_prefix', 'latitude', 'longitude', 'city', 'state']) }}
                then 'exact duplicate of an earlier row'
            -- Brazil's extremes: 5.27 N, 33.75 S, 73.99 W, and 28.85 W counting the Atlantic
            -- islands (Fernando de Noronha, zip prefix 53990, lies at 32.4 W; Trindade at 29.3 W).
            when latitude not between -33.8 and 5.3 or longitude not between -74.0 and -28.8
                then 'coordinates outside Brazil'
        end as quarantine_reason,
        concat_ws(
            ' / ', coalesce(zip_code_prefix_text, ''), coalesce(latitude_text, ''), coalesce(longitude_text, '')
        ) as record_key
    from flagged
),

final as (
    select * exclude (source_line_problem, zip_code_prefix_text, latitude_text, longitude_text, state_text)
    from checked
)

select * from final
