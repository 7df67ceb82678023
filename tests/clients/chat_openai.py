"""The official `openai` Python package against tuner's `/v1` endpoint.

Run by `run.py` with, in the environment:
    TUNER_BASE_URL        http://HOST:PORT/v1
    TUNER_TOKEN           a READER API token of the workspace
    TUNER_MODEL           the custom model's name (`support`)
    TUNER_PROVIDER_MODEL  the fine-tuned model tuner forwards to
    TUNER_SYSTEM_PROMPT   the model's trained system prompt
    STREAM_DELAY_MS       the emulator's pause between streamed chunks

Checks a completion, a streamed completion (content and timing), `models.list()` /
`models.retrieve()`, and the errors a bad token and an unknown model raise. Prints one line per
check; exits 1 at the first failed one.
"""

import hashlib
import os
import sys
import time

import openai
from openai import OpenAI

BASE_URL = os.environ["TUNER_BASE_URL"]
TOKEN = os.environ["TUNER_TOKEN"]
MODEL = os.environ["TUNER_MODEL"]
PROVIDER_MODEL = os.environ["TUNER_PROVIDER_MODEL"]
SYSTEM_PROMPT = os.environ["TUNER_SYSTEM_PROMPT"]
DELAY_S = int(os.environ["STREAM_DELAY_MS"]) / 1000

WHO = f"python openai {openai.__version__}"


def check(condition, what, detail=""):
    if not condition:
        print(f"FAIL [{WHO}] {what}" + (f": {detail}" if detail else ""), flush=True)
        sys.exit(1)
    print(f"ok   [{WHO}] {what}", flush=True)


def expected(text):
    return f"[model={PROVIDER_MODEL}] [system={SYSTEM_PROMPT}] echo: {text}"


def main():
    # No retries: a failure must show, not be hidden behind a second attempt.
    client = OpenAI(base_url=BASE_URL, api_key=TOKEN, max_retries=0, timeout=30)

    text = "How do I reset my password?"
    raw = client.chat.completions.with_raw_response.create(
        model=MODEL, messages=[{"role": "user", "content": text}]
    )
    completion = raw.parse()
    content = completion.choices[0].message.content
    check(content == expected(text), "chat completion: reply has the trained system prompt",
          f"got {content!r}, expected {expected(text)!r}")
    check(raw.headers.get("x-tuner-system-prompt") == "trained",
          "chat completion: x-tuner-system-prompt: trained", raw.headers.get("x-tuner-system-prompt"))
    digest = hashlib.sha256(SYSTEM_PROMPT.encode()).hexdigest()
    check(raw.headers.get("x-tuner-system-prompt-sha256") == digest,
          "chat completion: x-tuner-system-prompt-sha256 is the prompt's SHA-256",
          raw.headers.get("x-tuner-system-prompt-sha256"))
    check(completion.usage is not None and completion.usage.completion_tokens > 0,
          "chat completion: usage", repr(completion.usage))

    text = "Stream me the answer, word by word please"
    started = time.monotonic()
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": text}], stream=True
    )
    arrivals, pieces = [], []
    for chunk in stream:
        arrivals.append(time.monotonic())
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
    streamed = "".join(pieces)
    check(streamed == expected(text), "stream: concatenated deltas are the reply",
          f"got {streamed!r}")
    spread = arrivals[-1] - arrivals[0]
    needed = 0.5 * (len(arrivals) - 1) * DELAY_S
    check(len(arrivals) >= 5, f"stream: {len(arrivals)} chunks")
    check(spread >= needed,
          f"stream: chunks arrived as sent, spread {spread:.2f} s over {len(arrivals)} chunks "
          f"(>= {needed:.2f} s); first after {arrivals[0] - started:.2f} s",
          "the chunks were buffered and arrived together")

    ids = [m.id for m in client.models.list()]
    check(MODEL in ids, f"models.list() has {MODEL!r}", repr(ids))
    check(client.models.retrieve(MODEL).id == MODEL, f"models.retrieve({MODEL!r})")

    bad = OpenAI(base_url=BASE_URL, api_key="tnr_not_a_real_token", max_retries=0, timeout=30)
    try:
        bad.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
        check(False, "bad token raises AuthenticationError", "the request succeeded")
    except openai.AuthenticationError as error:
        check(error.status_code == 401 and error.code == "invalid_api_key",
              "bad token raises AuthenticationError (401, invalid_api_key)",
              f"{error.status_code} {error.code}")

    try:
        client.chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "hi"}]
        )
        check(False, "unknown model raises NotFoundError", "the request succeeded")
    except openai.NotFoundError as error:
        check(error.status_code == 404 and error.code == "model_not_found",
              "unknown model raises NotFoundError (404, model_not_found)",
              f"{error.status_code} {error.code}")


if __name__ == "__main__":
    main()
