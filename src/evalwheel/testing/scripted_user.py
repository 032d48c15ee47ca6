"""A scripted simulated user behind a real OpenAI-compatible HTTP server, so tests can run the
simulation's mechanics over real sockets with a user whose behaviour is known.

It reads only what the real simulator prompt gives it (``evalwheel.simulate.user``): the goal line
and the fact lines. It opens with the goal (the masked detail said vaguely), answers a question
with the next fact it has not given, stops with thanks when the assistant's result carries every
fact's numbers, and otherwise says the result is wrong (without repeating the fact). ``leaky`` makes
it give every fact in its opening (the error the reviewer must catch); ``inventive`` makes it
answer questions with a number no fact holds.
"""

from __future__ import annotations

import json
import re
from typing import Any

from evalwheel.asgi import lifespan, read_body, send_json
from evalwheel.simulate.extract import MASK
from evalwheel.testing.openai_stub import completion
from evalwheel.testing.server_thread import ServerThread

_NUMBER = re.compile(r"\d+")
GOAL = "What you want: "


class ScriptedUser:
    def __init__(self, leaky: bool = False, inventive: bool = False) -> None:
        self.leaky = leaky
        self.inventive = inventive
        self.requests = 0

    def answer(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        system = str(messages[0].get("content") or "")
        cue = str(messages[-1].get("content") or "")
        lines = system.splitlines()
        goal = next((ln[len(GOAL) :] for ln in lines if ln.startswith(GOAL)), "")
        facts = [ln[2:] for ln in lines if ln.startswith("- ")]
        if "has not started" in cue:
            opening = goal.replace(MASK, "a certain amount")
            if self.leaky:
                opening += " " + " ".join(facts)
            return {"message": opening, "stop": False}
        turns = [ln for ln in cue.splitlines() if ln.startswith(("User: ", "Assistant: "))]
        said = " ".join(ln for ln in turns if ln.startswith("User: "))
        last = turns[-1].removeprefix("Assistant: ") if turns else ""
        pending = [f for f in facts if f not in said]
        if last.rstrip().endswith("?"):
            if self.inventive:
                return {"message": "just make it 777 then", "stop": False}
            return {"message": pending[0] if pending else "I don't know", "stop": False}
        if "created" in last.lower():
            needed = {n for f in facts for n in _NUMBER.findall(f)}
            if needed <= set(_NUMBER.findall(last)):
                return {"message": "That's right, thanks!", "stop": True}
            return {"message": "That's not what I asked for.", "stop": False}
        return {"message": "Never mind, thanks.", "stop": True}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await lifespan(receive, send)
        if scope["method"] != "POST" or not scope["path"].endswith("/chat/completions"):
            return await send_json(send, 404, {"error": {"message": "not found"}})
        self.requests += 1
        body = json.loads(await read_body(receive))
        content = json.dumps(self.answer(body["messages"]))
        await send_json(send, 200, completion(body, content))


class ScriptedUserServer(ServerThread):
    """``with ScriptedUserServer() as url: ...``"""

    def __init__(self, leaky: bool = False, inventive: bool = False) -> None:
        self.model = ScriptedUser(leaky, inventive)
        super().__init__(self.model)
