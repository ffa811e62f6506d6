{#- Hardware kinds and the spellings upstream files use for them (lower-case, a device index such as
    cuda:0 dropped). The kinds are those of seeds/hardware_platform_seed.csv. -#}
{% macro benchmark_hardware_aliases() -%}
    {{ return({
        'cpu': 'cpu', 'x86': 'cpu', 'x86_64': 'cpu',
        'cuda': 'cuda', 'gpu': 'cuda', 'nvidia': 'cuda',
        'rocm': 'rocm', 'amd': 'rocm', 'hip': 'rocm',
        'mps': 'mps', 'apple': 'mps', 'metal': 'mps',
        'openvino': 'openvino',
        'qnn': 'qnn', 'qualcomm': 'qnn',
        'webnn': 'webnn', 'webgpu': 'webgpu'
    }) }}
{%- endmacro %}


{#- Names upstream writes where a hardware kind is expected that are tests, not hardware: the test case of
    the row. -#}
{% macro benchmark_test_names() -%}
    {{ return(['pipeline', 'from_pretrained', 'inference', 'load', 'init', 'tokenizer', 'training']) }}
{%- endmacro %}


{#- Text as it names hardware: lower-case and trimmed, a device index (cuda:0) dropped; NULL when blank. -#}
{% macro benchmark_hardware_label(text_expression) -%}
    nullif(regexp_replace(lower(trim({{ text_expression }})), ':[0-9]+$', ''), '')
{%- endmacro %}


{#- Hardware kind as the seed names it (gpu and cuda:0 are cuda, apple is mps, qualcomm is qnn, ...). A test
    name in a hardware position (pipeline, from_pretrained) is no hardware: NULL. Any other value is kept
    lower-case, and the warn test assert_hardware_types_are_known lists it. -#}
{% macro benchmark_hardware_type(text_expression) -%}
    {%- set kinds = [] -%}
    {%- for alias, kind in benchmark_hardware_aliases().items() -%}
        {%- do kinds.append("'" ~ alias ~ "': '" ~ kind ~ "'") -%}
    {%- endfor -%}
    case
        when {{ benchmark_hardware_label(text_expression) }} in ('{{ benchmark_test_names() | join("', '") }}') then null
        else coalesce(
            map_extract_value(map { {{- kinds | join(', ') -}} }, {{ benchmark_hardware_label(text_expression) }}),
            {{ benchmark_hardware_label(text_expression) }}
        )
    end
{%- endmacro %}


{#- The test named in a hardware position or in a key such as pipeline_cuda / cuda_pipeline: the key without
    its hardware part; NULL when the key is the hardware itself. -#}
{% macro benchmark_test_case_from_key(key_expression, hardware_expression) -%}
    nullif(
        regexp_replace(
            regexp_replace(lower({{ key_expression }}), '_' || coalesce({{ hardware_expression }}, '') || '$', ''),
            '^' || coalesce({{ hardware_expression }}, '') || '_', ''
        ),
        coalesce({{ hardware_expression }}, '')
    )
{%- endmacro %}


{#- The hardware kind a compound key names (pipeline_cuda, cuda_init, openvino), or NULL. -#}
{% macro benchmark_hardware_in_key(key_expression) -%}
    {{ benchmark_hardware_type(
        "regexp_extract(lower(" ~ key_expression ~ "), '(^|_)("
        ~ benchmark_hardware_aliases().keys() | join('|') ~ ")($|_)', 2)"
    ) }}
{%- endmacro %}
