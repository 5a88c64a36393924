#!/usr/bin/python3
# Renders the chat-template test conversations with jinja2 (as transformers' apply_chat_template does) through the
# official templates kept in tests/RagTune.Engine.Tests/Chat/OfficialChatTemplates.cs, and checks them against the
# hand-written expected prompts in ChatTemplateTests.cs. A cross-check for people; the C# tests do not need Python.
# Usage: /usr/bin/python3 tools/reference/render_chat_templates.py   (needs python3-jinja2)
import pathlib, re, sys
from jinja2.sandbox import ImmutableSandboxedEnvironment

root = pathlib.Path(__file__).resolve().parents[2]
cs = (root / "tests/RagTune.Engine.Tests/Chat/OfficialChatTemplates.cs").read_text()
templates = {}
for name, body in re.findall(r'public const string (\w+) = """\n(.*?)\n\s*""";', cs, re.S):
    templates[name] = "\n".join(line[8:] for line in body.split("\n"))

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)  # transformers' settings


def render(name, messages, add_generation_prompt=True, **kw):
    bos = "<|begin_of_text|>" if name.startswith("Llama") else None
    return env.from_string(templates[name]).render(messages=messages, add_generation_prompt=add_generation_prompt, bos_token=bos, **kw)


def m(role, content):
    return {"role": role, "content": content}


conversation = [m("system", "You are terse."), m("user", "Hi"), m("assistant", "Hello!"), m("user", "What is 2+2?")]
user_only = [m("user", "Hi")]
cases = {
    "Qwen25 conversation": render("Qwen25", conversation),
    "Qwen25 user only": render("Qwen25", user_only),
    "Qwen25 user only, no generation prompt": render("Qwen25", user_only, False),
    "Qwen25 tools": render("Qwen25", [m("user", "Weather?"), m("assistant", "Checking."), m("tool", '{"temp": 21}'),
                                     m("tool", '{"rain": false}'), m("assistant", "21 degrees, dry.")], False),
    "Qwen2 user only": render("Qwen2", user_only),
    "Qwen2 think history": render("Qwen2", [m("user", "q"), m("assistant", "<think>r</think>a"), m("user", "q2")], enable_thinking=False),
    "Qwen3 user only": render("Qwen3", user_only),
    "Qwen3 user only, thinking on": render("Qwen3", user_only, enable_thinking=True),
    "Qwen3 conversation, thinking off": render("Qwen3", conversation, enable_thinking=False),
    "Qwen3 history": render("Qwen3", [m("user", "q1"), m("assistant", "<think>\nr1\n</think>\n\na1"), m("user", "q2"),
                                     m("assistant", "<think>\nr2\n</think>\n\na2")], False),
    "Qwen3 tools": render("Qwen3", [m("user", "Weather in Paris?"), m("assistant", "<think>\nI need the tool.\n</think>\n\nLet me check."),
                                   m("tool", '{"temp": 21}'), m("tool", '{"rain": false}'), m("assistant", "It is 21 °C.")], False),
    "Qwen3 split": render("Qwen3", [m("user", "q"), m("assistant", "pre<think>\n\nA\nB\n\n</think>mid</think>\n\nanswer\n")], False),
    "Llama3 conversation": render("Llama3", conversation),
    "Llama3 trim": render("Llama3", [m("user", " \n Hi\t\x1f")], False),
    "Llama31 user only": render("Llama31", user_only),
    "Llama31 conversation": render("Llama31", conversation, date_string="01 Jan 2025"),
}

tests = (root / "tests/RagTune.Engine.Tests/Chat/ChatTemplateTests.cs").read_text()
# The C# expected prompts are concatenations of string literals; collect each assertion's literal sequence.
literals = re.findall(r'Assert\.Equal\(\s*((?:"(?:[^"\\]|\\.)*"\s*(?:\+\s*)?)+),', tests)
expected = set()
for group in literals:
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', group)
    expected.add("".join(bytes(p, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8") for p in parts))
failed = 0
for name, text in cases.items():
    ok = text in expected
    failed += not ok
    print(("ok      " if ok else "MISSING ") + name + ("" if ok else "\n        " + repr(text)))
sys.exit(1 if failed else 0)
