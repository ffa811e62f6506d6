{#-
    Relations are written without the database name: DuckDB names a database after its file, and a
    view that says "analytics"."marts"."x" breaks when the file is copied or renamed (a BI copy, a
    test fixture). Schema-qualified names resolve in whichever file holds them.
-#}
{% macro ref() %}
    {%- do return(builtins.ref(*varargs, **kwargs).include(database=false)) -%}
{% endmacro %}

{% macro source() %}
    {%- do return(builtins.source(*varargs, **kwargs).include(database=false)) -%}
{% endmacro %}
