{#-
    DuckLake holds no PRIMARY KEY, UNIQUE or CHECK constraint (nor foreign keys). On the lake target
    a contracted table is created with its columns, types and not-null constraints only; the keys
    stay enforced by the unique / unique_combination_of_columns and not_null tests that every key
    here has (tests/python/test_lake.py checks that). On a DuckDB file nothing changes: dbt's own
    DDL, every constraint enforced.
-#}
{% macro duckdb__get_table_columns_and_constraints() %}
    {%- if not is_lake() -%}
        {{ return(default__get_table_columns_and_constraints()) }}
    {%- endif -%}
    {%- set columns = {} -%}
    {%- for name, column in model['columns'].items() -%}
        {%- set kept = lake_constraints(column.get('constraints', [])) -%}
        {%- do columns.update({name: dict(column, constraints=kept)}) -%}
    {%- endfor -%}
    {%- set column_ddl = adapter.render_raw_columns_constraints(raw_columns=columns) -%}
    {%- set model_kept = lake_constraints(model['constraints']) -%}
    {%- set model_ddl = adapter.render_raw_model_constraints(raw_constraints=model_kept) -%}
    {{ return('(' ~ (column_ddl + model_ddl) | join(', ') ~ ')') }}
{% endmacro %}

{#- The constraints DuckLake holds (not_null) of a list of contract constraints. -#}
{% macro lake_constraints(constraints) %}
    {%- do return(constraints | selectattr('type', 'equalto', 'not_null') | list) -%}
{% endmacro %}

{#- Whether this build writes to DuckLake (profiles.yml: the `lake` target). -#}
{% macro is_lake() %}
    {%- do return(target.name == 'lake') -%}
{% endmacro %}
