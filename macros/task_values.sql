{#-
    A task's status and progress as the marts use them. Values a user's event gets wrong are data, not
    errors: what is clear is normalised, the rest becomes NULL (the event reports no status or no
    progress) and the warn-level test task_events_with_values_out_of_range lists the event.
-#}

{#- Status text, trimmed and lower-cased; NULL unless it is initializing, running, completed or error. -#}
{% macro task_status(text_expression) -%}
    case
        when lower(trim({{ text_expression }})) in ('initializing', 'running', 'completed', 'error')
            then lower(trim({{ text_expression }}))
    end
{%- endmacro %}


{#- Progress 0..1 from text: a number over 1 and at most 100 is a percentage; NULL for anything else. -#}
{% macro task_progress(text_expression) -%}
    case
        when try_cast({{ text_expression }} as double) between 0 and 1
            then try_cast({{ text_expression }} as double)
        when try_cast({{ text_expression }} as double) > 1 and try_cast({{ text_expression }} as double) <= 100
            then try_cast({{ text_expression }} as double) / 100
    end
{%- endmacro %}


{#- An exported step's status, trimmed and lower-cased when it is one of the step statuses; a missing or
    unknown one is taken from the step's times: completed when it has an end, running when it has a
    start, else pending. -#}
{% macro step_status(text_expression, started_at, completed_at) -%}
    case
        when lower(trim({{ text_expression }})) in ('pending', 'initializing', 'running', 'completed', 'error', 'skipped')
            then lower(trim({{ text_expression }}))
        when {{ completed_at }} is not null then 'completed'
        when {{ started_at }} is not null then 'running'
        else 'pending'
    end
{%- endmacro %}
