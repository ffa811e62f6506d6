{#- Input modality in the seed's vocabulary (text, vision, audio, multimodal) where a synonym is clear (image
    is vision); any other value is kept lower-case (a warn test lists it). -#}
{% macro benchmark_modality(text_expression) -%}
    case nullif(lower(trim({{ text_expression }})), '')
        when 'image' then 'vision'
        when 'images' then 'vision'
        when 'cv' then 'vision'
        when 'nlp' then 'text'
        when 'language' then 'text'
        when 'speech' then 'audio'
        when 'multi-modal' then 'multimodal'
        when 'multi_modal' then 'multimodal'
        when 'vision-language' then 'multimodal'
        when 'vision_language' then 'multimodal'
        else nullif(lower(trim({{ text_expression }})), '')
    end
{%- endmacro %}


{#- Precision as fp32 / fp16 / bf16 / int8 / int4 where a synonym is clear (float16, half); any other value
    is kept lower-case (a warn test lists it). -#}
{% macro benchmark_precision(text_expression) -%}
    case nullif(lower(trim({{ text_expression }})), '')
        when 'float32' then 'fp32'
        when 'float' then 'fp32'
        when 'full' then 'fp32'
        when 'float16' then 'fp16'
        when 'half' then 'fp16'
        when 'bfloat16' then 'bf16'
        when 'qint8' then 'int8'
        else nullif(lower(trim({{ text_expression }})), '')
    end
{%- endmacro %}


{#- The accepted vocabularies the warn-level tests compare labels with. -#}
{% macro benchmark_modalities() -%}
    {{ return(['text', 'vision', 'audio', 'multimodal']) }}
{%- endmacro %}

{% macro benchmark_precisions() -%}
    {{ return(['fp32', 'fp16', 'bf16', 'int8', 'int4']) }}
{%- endmacro %}
