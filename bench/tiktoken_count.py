#!/usr/bin/env python3
"""Counts a chat JSONL dataset's tokens with OpenAI's Python tiktoken, the reference tuner's
counts must equal and its speed is compared with (BENCHMARKS.md, "Dataset compilation").

    python3 -m venv .venv && .venv/bin/pip install tiktoken
    .venv/bin/python bench/tiktoken_count.py DATASET.jsonl [--encoding o200k_base]
        [--tiktoken-file o200k_base.tiktoken]

Every example is counted the way tuner counts it (`src/datasets/tokens.rs`, OpenAI's cookbook
formula): 3 tokens per message + its role's + its content's tokens, + 3 per example. All texts
are read into memory first; only encoding is timed, in tiktoken's two ways:

- `loop`: `encode_ordinary(text)` for each text, one thread;
- `batch`: `encode_ordinary_batch(texts, num_threads=CPUs)`, tiktoken's own thread pool.

Prints the total (which must equal tuner's `total tokens` for the same file) and ns/token.
Without network access, `--tiktoken-file` points tiktoken at a local copy of the encoding (the
same file tiktoken downloads; tiktoken checks its SHA-256).
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

URLS = {
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}
TOKENS_PER_MESSAGE = 3
REPLY_PRIMING_TOKENS = 3


def use_local_file(encoding, path):
    """Puts `path` where tiktoken's cache looks for `encoding`'s download."""
    cache = tempfile.mkdtemp(prefix="tiktoken-cache-")
    key = hashlib.sha1(URLS[encoding].encode()).hexdigest()
    shutil.copyfile(path, os.path.join(cache, key))
    os.environ["TIKTOKEN_CACHE_DIR"] = cache


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset")
    parser.add_argument("--encoding", default="o200k_base", choices=sorted(URLS))
    parser.add_argument("--tiktoken-file", help="a local copy of the encoding's .tiktoken file")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    if args.tiktoken_file:
        use_local_file(args.encoding, args.tiktoken_file)
    import tiktoken

    encoding = tiktoken.get_encoding(args.encoding)
    texts = []
    examples = messages = 0
    with open(args.dataset, encoding="utf-8") as f:
        for line in f:
            for message in json.loads(line)["messages"]:
                texts.append(message["role"])
                texts.append(message["content"])
                messages += 1
            examples += 1
    framing = TOKENS_PER_MESSAGE * messages + REPLY_PRIMING_TOKENS * examples
    print(f"tiktoken {tiktoken.__version__}, {args.encoding}: {examples:,} examples, "
          f"{messages:,} messages, {sum(map(len, texts)):,} characters", flush=True)

    start = time.perf_counter()
    loop = sum(len(encoding.encode_ordinary(text)) for text in texts)
    loop_s = time.perf_counter() - start
    start = time.perf_counter()
    batch = sum(map(len, encoding.encode_ordinary_batch(texts, num_threads=args.threads)))
    batch_s = time.perf_counter() - start
    if loop != batch:
        sys.exit(f"loop and batch disagree: {loop} vs {batch}")
    total = loop + framing
    print(f"total tokens       {total}")
    print(f"loop   (1 thread)  {loop_s:8.3f} s  {loop_s / total * 1e9:6.1f} ns/token")
    print(f"batch ({args.threads} threads) {batch_s:8.3f} s  {batch_s / total * 1e9:6.1f} ns/token")


if __name__ == "__main__":
    main()
