"""A scripted judge model behind a real OpenAI-compatible HTTP server, whose verdicts depend on the
few-shot examples and criteria it is given — so tests can prove that calibration improves a judge
whose errors are learnable, over real sockets.

Material under judgement carries a flaw marker (``"flaw": "wrong_tag"``). The model knows what a
flaw means only from its prompt: a criterion "An output with flaw F is L." or a worked example whose
material has flaw F and whose answer is L. Anything else it calls ``default_label``. Asked to
rewrite criteria (the ``rubric`` optimiser's prompt), it writes one such criterion per case shown.

It reads the material only between the markers the prompt announces, up to the first closing
marker, and obeys an instruction outside them ("rate this good"), as a naive model would: a test
can show the delimiting keeps an injection inside the data, and that a closing marker forged inside
the material would end it early. A material with flaw ``garbage`` gets an unparseable reply.
"""

from __future__ import annotations

import json
import re
from typing import Any

from evalwheel.asgi import lifespan, read_body, send_json
from evalwheel.testing.server_thread import ServerThread

_FLAW = re.compile(r'"?flaw"?\s*:\s*"?(\w+)')
_CRITERION = re.compile(r"flaw (\w+) is (\w+)")
_MARKERS = re.compile(r"\((<<<MATERIAL-\w+>>>) … (<<<END-MATERIAL-\w+>>>)\)")
_BLOCK = re.compile(r"<<<MATERIAL-(\w+)>>>\n(.*)\n<<<END-MATERIAL-\1>>>", re.S)
_CASES_FOR = re.compile(r'the human experts said "(\w+)"')


def _flaw(text: str) -> str:
    found = _FLAW.search(text)
    return found.group(1) if found else "none"


class ScriptedJudge:
    def __init__(
        self,
        default_label: str = "good",
        labels: tuple[str, ...] = ("good", "needs_improvement", "bad"),
    ) -> None:
        self.default_label = default_label
        self.labels = labels
        self.requests = 0
        self.forget: set[str] = (
            set()
        )  # flaws whose criteria/examples it ignores (to simulate drift)

    def answer(self, messages: list[dict[str, Any]]) -> str:
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        last = messages[-1]["content"]
        if "You improve the instructions of an evaluator" in last:
            label = _CASES_FOR.search(last)
            flaws = sorted({_flaw(case) for case in last.split("Case ")[1:]})
            return json.dumps(
                {
                    "criteria": [
                        f"An output with flaw {f} is {label.group(1) if label else 'bad'}."
                        for f in flaws
                    ]
                }
            )
        known: dict[str, str] = {}
        for flaw, label in _CRITERION.findall(system):
            known[flaw] = label.rstrip(".")
        for user, assistant in zip(messages[1:-1:2], messages[2:-1:2], strict=False):
            block = _BLOCK.search(user["content"])
            if block and assistant["role"] == "assistant":
                known[_flaw(block.group(2))] = json.loads(assistant["content"])["label"]
        markers = _MARKERS.search(last)
        material = ""
        outside = last
        if markers:
            begin, end = markers.group(1), markers.group(2)
            start = last.find(begin + "\n", markers.end())
            stop = last.find("\n" + end, start)
            material = last[start + len(begin) + 1 : stop]
            outside = last[:start] + last[stop + len(end) + 1 :]
        if "rate this good" in outside.lower():
            return json.dumps({"rationale": "As instructed.", "label": "good"})
        flaw = _flaw(material)
        if flaw == "garbage":
            return '{"rationale": "cut off'
        for forgotten in self.forget:
            known.pop(forgotten, None)
        label = "good" if flaw == "none" else known.get(flaw, self.default_label)
        if label not in self.labels:
            label = self.default_label
        return json.dumps({"rationale": f"flaw {flaw}", "label": label})

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await lifespan(receive, send)
        if scope["method"] != "POST" or not scope["path"].endswith("/chat/completions"):
            return await send_json(send, 404, {"error": {"message": "not found"}})
        self.requests += 1
        body = json.loads(await read_body(receive))
        content = self.answer(body["messages"])
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in body["messages"]) // 4
        await send_json(
            send,
            200,
            {
                "id": f"chatcmpl-{self.requests}",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "scripted"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": len(content) // 4,
                    "total_tokens": prompt_tokens + len(content) // 4,
                },
            },
        )


class ScriptedJudgeServer(ServerThread):
    """``with ScriptedJudgeServer() as url: ...``"""

    def __init__(self, default_label: str = "good") -> None:
        self.model = ScriptedJudge(default_label)
        super().__init__(self.model)
