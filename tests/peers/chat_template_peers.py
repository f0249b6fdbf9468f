#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Chat templates rendered by Assay against jinja2 set up as transformers sets it up.

For each real template in the shared data (and the Qwen2.5 tokenizer_config.json, loaded as a
model folder), many generated conversations are rendered by both; the texts must be identical
byte for byte, and a template that raises (bad role order, ...) must fail in both. A few
templates written here exercise Jinja constructs the real ones do not use.

  chat_template_peers.py --cli build/app/cli/assay-cli --data ../shared/data

Exits 77 (skipped) when jinja2 is not installed.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from datetime import datetime

try:
    import jinja2
    import jinja2.ext
    from jinja2.sandbox import ImmutableSandboxedEnvironment
except ImportError:
    print("jinja2 is not installed: skipped")
    sys.exit(77)


class GenerationTag(jinja2.ext.Extension):
    """transformers' {% generation %} tag: the body as it is (when not tracking)."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def environment():
    """jinja2 as transformers' _compile_jinja_template configures it."""

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.now().strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def context_of(item, bos, eos):
    """The variables Assay's CLI renders an input with (assay_chat_template_context_new)."""
    ctx = {"tools": None, "documents": None, "add_generation_prompt": False}
    if bos is not None:
        ctx["bos_token"] = bos
    if eos is not None:
        ctx["eos_token"] = eos
    if isinstance(item, list):
        ctx["messages"] = item
    else:
        ctx.update(item)
    return ctx


def render_jinja(env, source, contexts, bos, eos):
    try:
        template = env.from_string(source)
    except jinja2.exceptions.TemplateError as e:
        return [{"error": "syntax: %s" % e}] * len(contexts)
    out = []
    for item in contexts:
        try:
            out.append({"text": template.render(**context_of(item, bos, eos))})
        except Exception as e:  # jinja2 raises TemplateError, TypeError, ... alike
            out.append({"error": "%s: %s" % (type(e).__name__, e)})
    return out


def render_assay(cli, template_args, contexts, workdir):
    path = os.path.join(workdir, "contexts.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(contexts, f, ensure_ascii=False)
    proc = subprocess.run([cli, "lm", "chat-template", *template_args, "--contexts", path],
                          capture_output=True, timeout=300)
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        return [{"error": "assay: %s" % message}] * len(contexts)
    return json.loads(proc.stdout.decode("utf-8"))


# ---- generated conversations ----

CONTENTS = [
    "Hello!", "What is 2 + 2?", "Tell me a joke.", "", " ", "  leading and trailing spaces  ",
    "\nnewline first", "last newline\n", "line one\nline two\n\nline four", "tabs\tand\ttabs",
    "quotes ' and \" and `backticks`", "backslash \\ and \\n literal", "unicode: é ü ñ ß İ ı",
    "日本語のテキストです。", "emoji 🎉🚀👍🏽 and 👨‍👩‍👧", "Ελληνικά και русский", "עברית ועربي",
    "looks like {{ a tag }} and {% not one %}", "{# not a comment #}", "json {\"a\": [1, 2]}",
    "a" * 300, "mixed\r\ncarriage return", "zero width \u200b joiner \u200d", "\u00a0nbsp\u00a0",
]

THINKS = [
    "<think>\nLet me think about this.\n</think>\n\nThe answer is 4.",
    "<think>short</think>Answer",
    "<think>\n\n</think>\n\nNo thinking here.",
    "Plain answer without a think block.",
    "\n\n<think>a\nb</think>\n\n  spaced answer  ",
    "<think>one</think> middle </think> two",
]

TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather", "description": "Weather at a place, in °C.",
        "parameters": {"type": "object", "properties": {
            "location": {"type": "string", "description": "City, e.g. “Zürich”"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["location"]}}},
    {"type": "function", "function": {
        "name": "add", "description": "Adds two numbers",
        "parameters": {"type": "object", "properties": {
            "a": {"type": "number"}, "b": {"type": "number", "default": 1.5}}, "required": ["a", "b"]},
        "return": {"type": "number"}}},
]


def tool_call(rng, with_id=True, string_args=False):
    name = rng.choice(["get_weather", "add"])
    args = {"location": rng.choice(["Paris", "São Paulo", "東京"]), "unit": "celsius"} if name == "get_weather" \
        else {"a": rng.randint(-5, 100), "b": rng.choice([0.5, 2, 1e-7, 3.0])}
    call = {"type": "function", "function": {"name": name,
                                             "arguments": json.dumps(args) if string_args else args}}
    if with_id:
        call["id"] = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(9))
    return call


def conversation(rng, system=None, turns=None, think=False, tools=False, tool_ids=True,
                 string_args=False, tool_content_objects=False):
    """Alternating user/assistant turns, optionally a system message, tool calls and results."""
    messages = []
    if system is None:
        system = rng.random() < 0.5
    if system:
        messages.append({"role": "system", "content": rng.choice(CONTENTS[:20])})
    turns = turns if turns is not None else rng.randint(1, 4)
    for t in range(turns):
        messages.append({"role": "user", "content": rng.choice(CONTENTS)})
        if t == turns - 1 and rng.random() < 0.5:
            break
        if tools and rng.random() < 0.5:
            calls = [tool_call(rng, tool_ids, string_args) for _ in range(rng.choice([1, 1, 2]))]
            messages.append({"role": "assistant", "content": rng.choice(["", None, "Let me check."]),
                             "tool_calls": calls})
            for c in calls:
                result = {"temperature": 21.5, "note": "sunny ☀"} if tool_content_objects and rng.random() < 0.5 \
                    else rng.choice(["21.5", "{\"sum\": 3}", "error: ünknown"])
                msg = {"role": "tool", "content": result}
                if "id" in c:
                    msg["tool_call_id"] = c["id"]
                messages.append(msg)
            messages.append({"role": "assistant", "content": rng.choice(THINKS if think else CONTENTS)})
        else:
            messages.append({"role": "assistant", "content": rng.choice(THINKS if think else CONTENTS)})
    return messages


def with_options(rng, messages, extra=None):
    ctx = {"messages": messages, "add_generation_prompt": rng.random() < 0.5}
    if extra:
        ctx.update(extra)
    return ctx


def bad_orders(rng):
    """Conversations that role-checking templates reject."""
    return [
        [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
        [{"role": "assistant", "content": "first"}, {"role": "user", "content": "b"}],
        [{"role": "system", "content": "s"}, {"role": "assistant", "content": "x"}],
        [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "assistant", "content": "c"}],
        [{"role": "narrator", "content": "odd role"}],
    ]


def cases_for(name, rng, n):
    out = []
    for i in range(n):
        if name.startswith("HuggingFaceTB-SmolLM3"):
            extra = rng.choice([{}, {"enable_thinking": False}, {"enable_thinking": True}])
            msgs = conversation(rng, think=True, tools=rng.random() < 0.3)
            if msgs[0]["role"] == "system" and rng.random() < 0.5:
                msgs[0]["content"] += rng.choice([" /no_think", " /think  ", "\n/no_think\n"])
            for m in msgs:
                if m.get("content") is None:
                    m["content"] = ""
            out.append(with_options(rng, msgs, extra))
        elif name.startswith("Qwen-QwQ") or name.startswith("Qwen-Qwen2.5"):
            msgs = conversation(rng, think=name.startswith("Qwen-QwQ"), tools=rng.random() < 0.6)
            for m in msgs:
                if m.get("content") is None:
                    m["content"] = ""
                if m.get("tool_calls") and rng.random() < 0.3:
                    m["tool_calls"] = [c["function"] for c in m["tool_calls"]]
            extra = {"tools": TOOLS} if rng.random() < 0.5 else {}
            if name.startswith("Qwen-QwQ") and rng.random() < 0.3:
                extra["enable_thinking"] = rng.random() < 0.5
            out.append(with_options(rng, msgs, extra))
        elif name.startswith("deepseek"):
            msgs = conversation(rng, think=True, tools=rng.random() < 0.6, string_args=rng.random() < 0.5)
            for m in msgs:
                if m.get("content") is None and rng.random() < 0.5:
                    m["content"] = ""
            extra = {"bos_token": "<｜begin▁of▁sentence｜>"}
            if rng.random() < 0.3:
                extra["enable_thinking"] = rng.random() < 0.5
            out.append(with_options(rng, msgs, extra))
        elif name.startswith("google-gemma"):
            msgs = conversation(rng, system=False) if i % 5 else rng.choice(bad_orders(rng))
            out.append(with_options(rng, msgs, {"bos_token": "<bos>"}))
        elif name.startswith("ibm-granite"):
            msgs = conversation(rng)
            extra = {"bos_token": "<|start_of_text|>"}
            if rng.random() < 0.4:
                extra["tools"] = TOOLS
            if rng.random() < 0.4:
                extra["documents"] = [{"doc_id": 1, "text": "Doc one — ünïcode"}, {"doc_id": "b2", "text": "Two\nlines"}]
            if rng.random() < 0.4:
                extra["controls"] = rng.choice([["citations"], ["citations", "hallucinations"], {"length": "short"}])
            if rng.random() < 0.3:
                extra["thinking"] = True
            out.append(with_options(rng, msgs, extra))
        elif name.startswith("meta-llama"):
            msgs = conversation(rng, tools=rng.random() < 0.5, tool_content_objects=True)
            for m in msgs:
                if m.get("tool_calls"):
                    m["tool_calls"] = m["tool_calls"][:1]
                if m.get("content") is None:
                    m["content"] = ""
            extra = {"bos_token": "<|begin_of_text|>"}
            r = rng.random()
            if r < 0.3:
                extra["tools"] = TOOLS
                extra["tools_in_user_message"] = rng.random() < 0.5
            elif r < 0.45:
                extra["builtin_tools"] = ["brave_search", "wolfram_alpha", "code_interpreter"]
            if rng.random() < 0.2:
                extra["date_string"] = "01 Jan 2025"
            if rng.random() < 0.1:
                msgs = [{"role": "system", "content": "only system"}]
                extra["tools"] = TOOLS
            out.append(with_options(rng, msgs, extra))
        elif name.startswith("microsoft-Phi"):
            msgs = conversation(rng)
            out.append(with_options(rng, msgs, {"eos_token": "<|endoftext|>"}))
        elif name.startswith("mistralai"):
            msgs = conversation(rng, tools=rng.random() < 0.5, tool_ids=rng.random() < 0.9) \
                if i % 6 else rng.choice(bad_orders(rng))
            extra = {"bos_token": "<s>", "eos_token": "</s>"}
            if rng.random() < 0.5:
                extra["tools"] = TOOLS
            out.append(with_options(rng, msgs, extra))
        else:
            out.append(with_options(rng, conversation(rng)))
    return out


# ---- templates written here: constructs outside the nine real ones ----

LANGUAGE_TEMPLATES = {
    "loops-and-loop-variable": """{% for m in messages %}
  {{ loop.index }}/{{ loop.length }} {{ loop.index0 }} {{ loop.revindex }} {{ loop.revindex0 }} {{ loop.first }} {{ loop.last }} {{ loop.cycle('odd', 'even') }}
  prev={{ loop.previtem.role if loop.previtem is defined else '-' }} next={{ loop.nextitem.role if loop.nextitem is defined else '-' }}
  {% for c in m.content[:3] %}[{{ loop.depth }}{{ c }}]{% endfor %}
{% else %}
no messages
{% endfor %}
{% for m in messages if m.role != 'system' %}{{ m.role[0] }}{% if loop.last %}!{% endif %}{% endfor %}
{% for m in messages %}{% if loop.index > 2 %}{% break %}{% endif %}{% if m.role == 'user' %}{% continue %}{% endif %}<{{ m.role }}>{% endfor %}
{% for k, v in {'a': 1, 'b': [2, 3]}.items() %}{{ k }}={{ v }};{% endfor %}
{% for a, (b, c) in [(1, (2, 3)), (4, (5, 6))] %}{{ a + b * c }},{% endfor %}
{% for x in [] %}x{% else %}empty{% endfor %}
""",
    "macros-and-calls": """{% macro fmt(role, text, sep=': ', upper=false) -%}
{{ role | upper if upper else role }}{{ sep }}{{ text | trim }}
{%- endmacro %}
{% macro box(title) %}[{{ title }}|{{ caller() }}|{{ varargs | length }}]{% endmacro %}
{% macro kw() %}{{ kwargs | dictsort }}{% endmacro %}
{% for m in messages %}
{{ fmt(m.role, m.content) }}
{{ fmt(m.role, m.content, sep=' => ', upper=true) }}
{% endfor %}
{% call box('T') %}inside {{ messages | length }}{% endcall %}
{% call(x) box('U', 1, 2) %}{{ x }}{% endcall %}
{{ kw(b=2, a=1) }}
{% set ns = namespace(count=0, seen=[]) %}
{% for m in messages %}{% set ns.count = ns.count + 1 %}{% set ns.seen = ns.seen + [m.role] %}{% endfor %}
{{ ns.count }} {{ ns.seen }} {{ ns.seen | unique | list }}
{% set block %}
  captured {{ messages | length }}
{% endset %}
[{{ block }}]
{% filter upper %}shouted {{ messages[0].role if messages else 'none' }}{% endfilter %}
{% with a = 1, b = 'two' %}{{ a }}{{ b }}{% endwith %}
{% raw %}{{ not rendered }} {% if %}{% endraw %}
""",
    "filters": """{{ messages | map(attribute='role') | join(', ') }}
{{ messages | selectattr('role', 'equalto', 'user') | list | length }}
{{ messages | rejectattr('role', 'eq', 'user') | map(attribute='content') | map('length') | list }}
{{ [3, 1, 2, 1] | sort }} {{ [3, 1, 2] | sort(reverse=true) }} {{ ['b', 'A', 'c'] | sort }} {{ ['b', 'A', 'c'] | sort(case_sensitive=true) }}
{{ messages | sort(attribute='role') | map(attribute='role') | list }}
{{ {'b': 1, 'a': 2, 'C': 0} | dictsort }} {{ {'b': 1, 'a': 2} | dictsort(by='value', reverse=true) }}
{{ [1, 2, 3, 4, 5] | batch(2) | list }} {{ [1, 2, 3, 4, 5] | batch(2, 'x') | list }} {{ [1, 2, 3, 4, 5] | slice(2) | list }}
{{ [1, 2, 3] | sum }} {{ [1.5, 2] | sum }} {{ [4, 2, 8] | max }} {{ ['b', 'A'] | min }} {{ [] | first }}|{{ [1, 2] | last }}
{{ 'Hello World' | lower }} {{ 'hello world' | title }} {{ "they're o'neil-x (ab" | title }} {{ 'hELLO' | capitalize }}
{{ '  x  ' | trim }}|{{ 'xxhixx' | trim('x') }}|{{ 'a-b-c' | replace('-', '+') }}|{{ 'a-b-c' | replace('-', '', 1) }}
{{ 'one two  three' | wordcount }} {{ 'x' | center(7) }}| {{ 'line1\\nline2\\n\\nline4' | indent(2) }}|{{ 'a\\nb' | indent('> ', first=true) }}
{{ 3.14159 | round(2) }} {{ 2.5 | round }} {{ 3.5 | round }} {{ 2.7 | round(0, 'floor') }} {{ 2.1 | round(1, 'ceil') }} {{ 7 | round }}
{{ '42' | int }} {{ '3.9' | int }} {{ 'x' | int(-1) }} {{ 3.99 | int }} {{ '0x1A' | int(base=16) }} {{ '2.5' | float }} {{ 'no' | float }} {{ -3 | abs }} {{ -2.5 | abs }}
{{ undefined_var | default('dflt') }} {{ '' | default('empty', true) }} {{ none | d('n') }} {{ false | default('f', boolean=true) }}
{{ [1, 2, 3] | reverse | list }} {{ 'abc' | reverse }} {{ [1, 2, 2, 'a', 'A'] | unique | list }}
{{ {'z': 1, 'a': [1, 2, {'k': none}], 'u': 'é"\\\\'} | tojson }}
{{ {'z': 1, 'a': [1, 2]} | tojson(indent=2) }}
{{ {'z': 1, 'a': []} | tojson(sort_keys=true, separators=[',', ':']) }} {{ 'é✓' | tojson(ensure_ascii=true) }} {{ [1.0, 1e20, 0.1, -0.0, 1e-7] | tojson }}
{{ [1, 2, 3] | select('odd') | list }} {{ [1, 2, 3, 4] | reject('divisibleby', 2) | list }} {{ [none, 0, 'a', [], 1] | select | list }}
{{ {'a': 1} | items | list }} {{ 'abc' | list }} {{ 123 | string }} {{ [1, 'a'] | string }} {{ '<a href="x">&</a>' | e }} {{ 'x' | safe }}
{{ '%s is %d years and %.2f' | format('Ann', 30, 1.5) }} {{ 'v=%s' % 5 }} {{ '%s-%s' % ('a', 'b') }}
{{ messages | length }} {{ messages | count }} {{ 'héllo' | length }} {{ {'a': 1, 'b': 2} | length }}
""",
    "expressions-and-methods": """{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 6 / 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 2 ** 3 ** 2 }}
{{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e15 }} {{ 1.5e-5 }} {{ 0.0001 }} {{ 123456789.123 }} {{ 1 / 3 }} {{ 2.0 * 3 }}
{{ 'a' ~ 1 ~ none ~ true ~ 1.0 }} {{ 'ab' * 3 }} {{ [1] * 3 }} {{ [1, 2] + [3] }} {{ (1, 2) + (3,) }} {{ true + 1 }} {{ -(3) }} {{ +3 }}
{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ 'b' >= 'a' }} {{ [1, 2] < [1, 3] }} {{ 2 in [1, 2] }} {{ 'x' not in 'abc' }} {{ 'a' in {'a': 1} }}
{{ true and 'yes' }} {{ false or 'fallback' }} {{ none or 0 or '' or 'last' }} {{ not none }} {{ 'a' and 0 }}
{{ 'yes' if messages else 'no' }} [{{ 'never' if false }}] {{ 1 if false else 2 if false else 3 }}
{{ [1, 'a', none, true, 1.5, [2], {'k': 'v'}, ('t',), (1, 2)] }} {{ {'a': 1, 2: 'b', none: true} }} {{ "it's" }} {{ ['it\\'s', "q\\"q", 'both\\'"', 'tab\\t', 'nl\\n', '\\x01', 'é', '\\u200b'] }}
{{ 'Hello World'.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a b c d'.split(' ', 2) }} {{ 'a b c d'.rsplit(' ', 1) }} {{ '  x  y  '.split() }} {{ 'a\\nb\\r\\nc'.splitlines() }}
{{ 'Hello'.startswith('He') }} {{ 'Hello'.endswith(('x', 'lo')) }} {{ 'Hello'.replace('l', 'L') }} {{ 'Hello'.replace('l', 'L', 1) }} {{ 'Hello'.find('l') }} {{ 'Hello'.rfind('l') }} {{ 'héllo'.find('l') }} {{ 'Hello'.count('l') }}
{{ 'hello world'.title() }} {{ "they're bill's".title() }} {{ 'hello'.capitalize() }} {{ 'MiXeD'.upper() }} {{ 'MiXeD'.lower() }} {{ 'ß'.upper() }} {{ 'xxhixx'.strip('x') }} {{ '  hi  '.lstrip() }}|{{ '  hi  '.rstrip() }}|
{{ '{} and {}'.format('a', 'b') }} {{ '{1}{0}{name}'.format('x', 'y', name='z') }} {{ '-'.join(['a', 'b']) }} {{ 'abc'.isalpha() }} {{ '123'.isdigit() }} {{ 'abc'.islower() }} {{ 'x'.center(5, '*') }} {{ '5'.zfill(3) }}
{{ 'héllo wörld'[1:4] }} {{ 'héllo'[::-1] }} {{ 'héllo'[-1] }} {{ 'abcdef'[::2] }} {{ 'abcdef'[-3:] }} {{ 'abc'[10] }}| {{ [1, 2, 3, 4][1:] }} {{ [1, 2, 3, 4][::-1] }} {{ [1, 2, 3][-1] }} {{ [1, 2, 3][5] }}|
{{ messages[0].role if messages }} {{ messages[0]['role'] if messages }} {{ (messages | first).content | length if messages }} {{ {'a': {'b': [1, {'c': 'deep'}]}}.a.b[1].c }} {{ {'a': 1}.get('a') }} {{ {'a': 1}.get('z', 'dflt') }} {{ {'a': 1}.get('z') }}
{{ {'a': 1, 'b': 2}.keys() | list }} {{ {'a': 1, 'b': 2}.values() | list }} {{ {'a': 1}.items() | list }} {{ [1, 2, 1].count(1) }} {{ [1, 2, 3].index(2) }} {{ range(3) | list }} {{ range(1, 10, 3) | list }} {{ range(5) | length }}
{{ x is defined }} {{ x is undefined }} {{ none is none }} {{ 1 is number }} {{ true is boolean }} {{ 1 is integer }} {{ 1.5 is float }} {{ 'a' is string }} {{ {} is mapping }} {{ [] is iterable }} {{ 'a' is sequence }} {{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 'a' is in 'cat' }} {{ 2 is gt 1 }} {{ 'abc' is lower }} {{ true is true }} {{ 0 is false }}
{{ messages is sequence }} {{ (messages[0] is mapping) if messages }} {{ (missing.attr is defined) if false else 'skip' }} {{ {'a': 1}.b is defined }} {{ dict(a=1, b=[2]) }} {{ namespace(a=1).a }}
{%- set a, b = 1, 2 %} {{ a }}{{ b }} {% set t = (1,) %}{{ t }} {% set l = [1, 2] %}{{ l + [3] }}
{{ 'no trailing' -}}
   {{- ' trimmed' }}
    {%+ if true %}kept indent{% endif %}
  {# a comment #}
text after comment
  {%- if true -%}  stripped both  {%- endif -%}
  end
{% if true %}
  block newline trimmed
{% endif %}
{{ 'x' }}
{% if false %}never{% elif messages %}elif branch{% else %}else branch{% endif %}
""",
    "whitespace-control": """A
  {% if true %}
    indented
  {% endif %}
B   {% if true %}inline{% endif %}   C
{% for i in [1, 2] -%}
  item {{ i }}
{%- endfor %}
D {#- comment -#} E
  {#+ kept +#}
F {%- raw -%}  raw {{ body }}  {%- endraw -%}  G
  {{ 'var' }}
{%+ if true %}plus{% endif +%}
after plus
{% set x = 1 %}
{{- x -}}
{% for m in messages %}
{{ m.role }}:
{%- if m.content %} {{ m.content | trim }}{% endif %}

{% endfor %}
""",
}

LANGUAGE_ERRORS = {
    # each must fail in both
    "undefined-attribute": "{{ nothing.attr }}",
    "add-undefined": "{{ nothing + 1 }}",
    "str-plus-int": "{{ 'a' + 1 }}",
    "div-zero": "{{ 1 / 0 }}",
    "append-immutable": "{% set l = [] %}{{ l.append(1) }}",
    "raise": "{{ raise_exception('custom message') }}",
    "iterate-none": "{% for x in none %}{% endfor %}",
    "tojson-undefined": "{{ nothing | tojson }}",
    "unpack": "{% for a, b in [1, 2] %}{% endfor %}",
    "compare-types": "{{ 1 < 'a' }}",
    "namespace-set": "{% set d = {} %}{% set d.x = 1 %}",
    "macro-args": "{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}",
    "unknown-filter": "{{ 1 | nosuchfilter }}",
    "unclosed": "{% if true %}never closed",
    "test-argument-quirk": "{{ messages[0] is mapping if messages }}",  # 'if' is taken as the test's argument
}


def compare(label, jinja_results, assay_results, contexts, verbose):
    same = 0
    both_failed = 0
    diffs = []
    for i, (a, b) in enumerate(zip(jinja_results, assay_results)):
        if "text" in a and "text" in b and a["text"] == b["text"]:
            same += 1
        elif "error" in a and "error" in b:
            same += 1
            both_failed += 1
        else:
            diffs.append((i, a, b))
    if len(jinja_results) != len(assay_results):
        diffs.append((-1, {"error": "%d results" % len(jinja_results)}, {"error": "%d results" % len(assay_results)}))
    print("%-52s %3d/%-3d identical (%d fail in both)" % (label, same, len(jinja_results), both_failed))
    for i, a, b in diffs[: (5 if verbose else 2)]:
        print("  case %d: context %s" % (i, json.dumps(contexts[i], ensure_ascii=False)[:300] if i >= 0 else ""))
        print("    jinja2: %r" % (a.get("text", a.get("error"))[:600],))
        print("    assay:  %r" % (b.get("text", b.get("error"))[:600],))
    return not diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", required=True, help="the assay-cli executable")
    ap.add_argument("--data", required=True, help="the shared data folder")
    ap.add_argument("--cases", type=int, default=60, help="conversations per template (default 60)")
    ap.add_argument("--seed", type=int, default=20250101)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    template_dir = os.path.join(args.data, "chat-templates")
    names = sorted(f for f in os.listdir(template_dir) if f.endswith(".jinja"))
    if not names:
        print("no templates in %s" % template_dir)
        return 1
    env = environment()
    ok = True
    with tempfile.TemporaryDirectory() as work:
        for name in names:
            path = os.path.join(template_dir, name)
            with open(path, encoding="utf-8") as f:
                source = f.read()
            rng = random.Random("%d/%s" % (args.seed, name))
            contexts = cases_for(name, rng, args.cases)
            expected = render_jinja(env, source, contexts, None, None)
            got = render_assay(args.cli, ["--template", path], contexts, work)
            ok &= compare(name, expected, got, contexts, args.verbose)

        # a model folder: template and special tokens from tokenizer_config.json
        model = os.path.join(args.data, "tokenizers", "qwen2_5")
        with open(os.path.join(model, "tokenizer_config.json"), encoding="utf-8") as f:
            config = json.load(f)

        def token(value):
            return value.get("content") if isinstance(value, dict) else value

        rng = random.Random("%d/model" % args.seed)
        contexts = cases_for("Qwen-Qwen2.5-7B-Instruct", rng, args.cases)
        expected = render_jinja(env, config["chat_template"], contexts,
                                token(config.get("bos_token")), token(config.get("eos_token")))
        got = render_assay(args.cli, ["--model", model], contexts, work)
        ok &= compare("tokenizers/qwen2_5 (--model)", expected, got, contexts, args.verbose)

        for name, source in LANGUAGE_TEMPLATES.items():
            rng = random.Random("%d/%s" % (args.seed, name))
            contexts = [conversation(rng) for _ in range(8)] + [[]]
            path = os.path.join(work, name + ".jinja")
            with open(path, "w", encoding="utf-8") as f:
                f.write(source)
            expected = render_jinja(env, source, contexts, "<s>", "</s>")
            got = render_assay(args.cli, ["--template", path], contexts, work)
            # the language templates must render, not merely fail alike
            rendered = all("text" in r for r in expected)
            ok &= compare("language: " + name, expected, got, contexts, args.verbose) and rendered
            if not rendered:
                print("  jinja2 failed on a language template: %s" % next(r["error"] for r in expected if "error" in r))

        failures = 0
        for name, source in LANGUAGE_ERRORS.items():
            contexts = [[{"role": "user", "content": "x"}]]
            path = os.path.join(work, name + ".jinja")
            with open(path, "w", encoding="utf-8") as f:
                f.write(source)
            expected = render_jinja(env, source, contexts, None, None)
            got = render_assay(args.cli, ["--template", path], contexts, work)
            if not ("error" in expected[0] and "error" in got[0]):
                failures += 1
                print("  error case %s: jinja2 %r, assay %r" % (name, expected[0], got[0]))
        print("%-52s %3d/%-3d fail in both" % ("language: errors", len(LANGUAGE_ERRORS) - failures, len(LANGUAGE_ERRORS)))
        ok &= failures == 0
    print("all identical" if ok else "DIFFERENCES FOUND")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
