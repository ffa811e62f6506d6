{#- A UTC `timestamp` from ISO-8601 text (UTC when it has no offset) or `YYYYMMDD_HHMMSS`; NULL otherwise.
    Only text that matches the ISO-8601 pattern reaches the cast: DuckDB's text-to-timestamptz cast also
    reads zone names ("... America/New_York") and then applies that zone to offset-less values after it
    in the same vector. The pattern is the one ingest checks occurred_at with (ingest/classify.py). -#}
{% macro parse_timestamp(text_expression) -%}
    case
        when regexp_full_match({{ text_expression }}, '{{ iso_8601_pattern() }}')
            then timezone('UTC', try_cast({{ text_expression }} as timestamptz))
        else try_strptime({{ text_expression }}, '%Y%m%d_%H%M%S')
    end
{%- endmacro %}


{#- An ISO-8601 (RFC 3339) date, or date and time, with an optional fraction of a second and an optional
    UTC offset (Z, +05, +0530, +05:30). -#}
{% macro iso_8601_pattern() -%}
    \d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?
{%- endmacro %}
