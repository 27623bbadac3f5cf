{#-
    Publish the build copy onto the served warehouse file (on-run-end hook, dbt_project.yml).

    dbt writes a build copy (profiles.yml: `.build/<name>` beside RETAIL_WAREHOUSE). This hook
    publishes it with an atomic rename (retail_warehouse.publish, through the SQL function
    publish_warehouse() that the landing plugin registers) only when the invocation was a
    complete, passing `dbt build`:
      - the command is `dbt build` (dbt run does not test, dbt test does not build);
      - every model, seed, snapshot and data test of the project was in this run (no
        --select / --exclude / --selector / --resource-type that left a node out), and it
        was not an --empty or --sample build;
      - every result succeeded: success, pass, warn (a warn-severity test) or no-op (exposures); error, fail,
        skipped or any other status blocks the publish.
    Otherwise the served file stays byte-identical and the log says why. A fault of the machine
    while publishing (a folder that cannot be written, a full disk) is said in one line, the
    served file left as it was, the build copy kept, and the build fails.
-#}
{% macro publish_warehouse(results) %}
    {%- if execute -%}
        {%- set blockers = publish_blockers(results) -%}
        {%- if blockers | length > 0 -%}
            {{ return(left_unchanged_sql(blockers | join('; '))) }}
        {%- endif -%}
        {%- do run_query("create schema if not exists meta") -%}
        {%- do run_query(
            "create or replace table meta.warehouse_version as select "
            ~ "'" ~ invocation_id ~ "' as invocation_id, "
            ~ "cast('" ~ run_started_at.isoformat() ~ "' as timestamptz) as build_started_at, "
            ~ "now() as published_at, "
            ~ "'" ~ dbt_version ~ "' as dbt_version, "
            ~ (results | length) ~ " as nodes_built"
        ) -%}
        {%- do record_build_history() -%}
        {%- do run_query("checkpoint") -%}
        {%- set published = run_query("select publish_warehouse()").columns[0].values()[0] -%}
        {%- if published.startswith("fault: ") -%}
            {#- publish_warehouse() said the served file was kept; the hook fails. -#}
            {%- do run_query("delete from meta.build_history where invocation_id = '" ~ invocation_id ~ "'") -%}
            {%- do run_query("checkpoint") -%}
            {{ return("select error(" ~ sql_text_literal("publish failed: " ~ published[7:]) ~ ")") }}
        {%- endif -%}
        {{ log("publish: " ~ published ~ "; " ~ free_blocks_said(), info=true) }}
    {%- endif -%}
{% endmacro %}


{#- The free blocks the published file carries: the space of the tables this build replaced,
    freed by its checkpoint, which the next build writes into (docs/performance.md). -#}
{% macro free_blocks_said() %}
    {%- set blocks = run_query(
        "select free_blocks, total_blocks from pragma_database_size() where database_name = current_database()"
    ).rows[0] -%}
    {{- return(blocks[0] ~ " of its " ~ blocks[1] ~ " blocks free (reused by the next build)") -}}
{% endmacro %}


{#- Why this invocation must not publish (an empty list: it may). -#}
{% macro publish_blockers(results) %}
    {%- set blockers = [] -%}
    {%- set args = invocation_args_dict -%}
    {%- if args.get('which') != 'build' -%}
        {%- do blockers.append("only a complete `dbt build` publishes (this was `dbt " ~ args.get('which') ~ "`)") -%}
    {%- endif -%}
    {%- for flag in ['empty', 'sample'] -%}
        {%- if args.get(flag) -%}
            {%- do blockers.append("a --" ~ flag ~ " build is never published") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for flag in ['resource_types', 'exclude_resource_types'] -%}
        {%- if args.get(flag) -%}
            {%- do blockers.append("--" ~ flag | replace('_', '-') ~ " builds only part of the project") -%}
        {%- endif -%}
    {%- endfor -%}

    {%- set ran = {} -%}
    {%- set failed = [] -%}
    {%- for result in results -%}
        {%- do ran.update({result.node.unique_id: true}) -%}
        {%- if (result.status | string | lower) not in ['success', 'pass', 'warn', 'no-op'] -%}
            {%- do failed.append(result.node.unique_id ~ " (" ~ (result.status | string | lower) ~ ")") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set refused = refused_input_files(results) -%}
    {%- if refused | length > 0 -%}
        {%- do blockers.append((refused | length) ~ " input file(s) refused (intermediate.int_source_files_refused, logged above)") -%}
    {%- endif -%}
    {%- if failed | length > 0 -%}
        {%- do blockers.append((failed | length) ~ " node(s) did not succeed, e.g. " ~ (failed[:3] | join(', '))) -%}
    {%- endif -%}

    {%- set left_out = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type in ['model', 'seed', 'snapshot', 'test']
            and node.config.materialized != 'ephemeral'
            and node.unique_id not in ran -%}
            {%- do left_out.append(node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if left_out | length > 0 -%}
        {%- do blockers.append("partial build: " ~ (left_out | length) ~ " node(s) of the project were not in this run, e.g. "
            ~ (left_out[:3] | join(', ')) ~ " (run a plain `dbt build` to publish)") -%}
    {%- endif -%}
    {{ return(blockers) }}
{% endmacro %}


{#- The messages of intermediate.int_source_files_refused when this run built it: the input
    files refused because most of their rows fail one quarantine rule, or a store emptied. -#}
{% macro refused_input_files(results) %}
    {%- set messages = [] -%}
    {%- for result in results -%}
        {%- if result.node.resource_type == 'model' and result.node.name == 'int_source_files_refused'
            and (result.status | string | lower) == 'success' -%}
            {%- set relation = adapter.get_relation(
                database=result.node.database, schema=result.node.schema, identifier=result.node.alias
            ) -%}
            {%- if relation is not none -%}
                {%- set refused = run_query("select message from " ~ relation ~ " order by message") -%}
                {%- for row in refused.rows -%}
                    {%- do messages.append(row[0]) -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(messages) }}
{% endmacro %}


{#- Post-hook of intermediate.int_source_files_refused: one line per refused input file, said
    when the refusal is known, and that the served warehouse is kept. -#}
{% macro log_refused_input_files(relation) %}
    {%- if execute -%}
        {%- set refused = run_query("select message from " ~ relation ~ " order by message") -%}
        {%- for row in refused.rows -%}
            {{ log("refused " ~ row[0], info=true) }}
        {%- endfor -%}
        {%- if refused.rows | length > 0 -%}
            {{ return(left_unchanged_sql("an input was refused")) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}


{#- SQL that says, in one line, that the served file was kept and why (the landing plugin's
    served_warehouse_left_unchanged() logs it and remembers it was said: a build that dies
    before saying it says it at exit). Run as SQL, not at compile time, so a dead connection
    fails the hook alone, without dbt's "keyboard interrupt" ending. -#}
{% macro left_unchanged_sql(reason) %}
    {{- "select served_warehouse_left_unchanged(" ~ sql_text_literal(reason) ~ ")" -}}
{% endmacro %}


{% macro sql_text_literal(text) %}
    {{- "'" ~ (text | string | replace("'", "''")) ~ "'" -}}
{% endmacro %}


{#- meta.build_history: this build's measures (intermediate.int_build_measures) appended to
    those of the earlier published builds, which the build copy carries from publish to
    publish (a new build copy starts from the served file). -#}
{% macro record_build_history() %}
    {%- set measures = adapter.get_relation(
        database=target.database, schema='intermediate', identifier='int_build_measures'
    ) -%}
    {%- set header = "select '" ~ invocation_id ~ "' as invocation_id, "
        ~ "cast('" ~ run_started_at.isoformat() ~ "' as timestamptz) as build_started_at, "
        ~ "now() as published_at, "
        ~ "round(epoch(now()) - epoch(cast('" ~ run_started_at.isoformat() ~ "' as timestamptz)), 1) as duration_seconds, "
        ~ "measures.* from " ~ measures ~ " as measures" -%}
    {%- do run_query("create table if not exists meta.build_history as " ~ header ~ " where false") -%}
    {#- By name: a measure added since the history began is a new column, null for the earlier
        builds; the table is rewritten, which a few rows per build keeps cheap. -#}
    {%- do run_query("create or replace table meta.build_history as "
        ~ "select * from meta.build_history union all by name " ~ header) -%}
{% endmacro %}


{#- Post-hook of intermediate.int_build_changes_checked: each finding as a warning line. -#}
{% macro log_build_changes(relation) %}
    {%- if execute -%}
        {%- set findings = run_query("select message from " ~ relation ~ " order by message") -%}
        {%- for row in findings.rows -%}
            {{ log("warning: " ~ row[0], info=true) }}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}


{#- meta.build_history of the build copy, or none before the first publish (and at parse time). -#}
{% macro build_history_relation() %}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema='meta', identifier='build_history')) }}
{% endmacro %}
