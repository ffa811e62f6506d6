{#- The dimensions that, with model_name and hardware_type, make a series: one configuration measured
    again and again. Every dimension a document records is one of them, so that two configurations never
    share a series (tests/benchmarks/assert_one_result_per_series_per_run.sql). -#}
{% macro benchmark_series_dimensions() -%}
    {{ return([
        'batch_size', 'precision', 'sequence_length', 'test_case', 'image_size', 'audio_length_seconds'
    ]) }}
{%- endmacro %}


{#- series_id of a row of benchmark results (alias prefix, e.g. 'results.'). The four original dimensions
    are hashed as before, the input-shape dimensions only when present, so a series measured before they
    existed keeps its id. -#}
{% macro benchmark_series_id(prefix='') -%}
    md5(
        concat_ws(
            '|', {{ prefix }}model_name, {{ prefix }}hardware_type, coalesce({{ prefix }}batch_size::varchar, '-'),
            coalesce({{ prefix }}precision, '-'), coalesce({{ prefix }}sequence_length::varchar, '-'),
            coalesce({{ prefix }}test_case, '-')
        )
        || coalesce('|image=' || {{ prefix }}image_size, '')
        || coalesce('|audio=' || {{ prefix }}audio_length_seconds::varchar, '')
    )
{%- endmacro %}


{#- The time in a file's name (upstream writes `..._20250305_195321.json`): the last YYYYMMDD_HHMMSS in the
    name without its folders; NULL when there is none. -#}
{% macro file_name_timestamp(path_expression) -%}
    try_strptime(
        nullif(regexp_extract(regexp_extract({{ path_expression }}, '[^/\\]*$'), '.*([0-9]{8}_[0-9]{6})', 1), ''),
        '%Y%m%d_%H%M%S'
    )
{%- endmacro %}


{#- run_at / tested_at and where it came from: the record's time, else the document's, else the time in
    the file's name, else the load time. Columns of a row with record_at, document_at, source_path and
    loaded_at. -#}
{% macro benchmark_run_time(name) -%}
    coalesce(record_at, document_at, {{ file_name_timestamp('source_path') }}, loaded_at) as {{ name }},
    case
        when record_at is not null then 'record'
        when document_at is not null then 'document'
        when {{ file_name_timestamp('source_path') }} is not null then 'file_name'
        else 'loaded_at'
    end as {{ name }}_source
{%- endmacro %}
