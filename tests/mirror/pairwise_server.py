"""A scripted pairwise judge behind a real OpenAI-compatible server: it prefers the answer that says
GOOD, answers "tie" when neither or both do, and always picks the first answer when one says
BIASED (so swapping the order exposes it). Asked about one answer (a pointwise judge), it says
good when the answer says GOOD, else bad."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from evalwheel.asgi import lifespan, read_body, send_json
from evalwheel.testing.server_thread import ServerThread

_BLOCK = r"<<<{name}-(\w+)>>>\n(.*?)\n<<<END-{name}-\1>>>"


def _block(text: str, name: str) -> str:
    found = re.search(_BLOCK.format(name=name), text, re.S)
    return found.group(2) if found else ""


def verdict(text: str) -> str:
    a, b = _block(text, "A"), _block(text, "B")
    if "BIASED" in a or "BIASED" in b:
        return "A"
    if ("GOOD" in a) == ("GOOD" in b):
        return "tie"
    return "A" if "GOOD" in a else "B"


class PairwiseJudge:
    def __init__(self) -> None:
        self.requests = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await lifespan(receive, send)
        body = json.loads(await read_body(receive))
        self.requests += 1
        text = body["messages"][-1]["content"]
        if "<<<A-" in text:
            label = verdict(text)
        else:  # a pointwise judge: good when the material says GOOD
            label = "good" if "GOOD" in _block(text, "MATERIAL") else "bad"
        content = json.dumps({"rationale": "scripted", "label": label})
        await send_json(
            send,
            200,
            {
                "id": f"c{self.requests}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "j"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            },
        )


class PairwiseJudgeServer(ServerThread):
    def __init__(self) -> None:
        self.judge = PairwiseJudge()
        super().__init__(self.judge)
