#!/usr/bin/env python3
"""Real OpenAI clients against tuner's OpenAI-compatible endpoint, end to end.

Starts `tuner-emulator` and `tuner serve` on a fresh SQLite file (see stack.py), trains the
model `support` over GraphQL, creates a READER token, then runs the official `openai` Python
package (chat_openai.py, in tests/clients/.venv) and the official `openai` npm package
(chat_openai.mjs, in tests/clients/node_modules) with `base_url=http://HOST/v1` and that token.
Each checks a completion, a streamed completion that arrives as it is sent, the model list and
the documented 401 / 404 errors. Exits non-zero at the first failure; the processes it started
are always stopped.

    cargo build --workspace --bins
    python3 tests/clients/run.py --install     # creates the venv and runs `npm ci` first
    python3 tests/clients/run.py [--profile release] [--tuner PATH] [--emulator PATH]

The versions are pinned in requirements.txt, package.json and package-lock.json.
"""

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from stack import MODEL_NAME, Stack, StackError, default_binary  # noqa: E402

VENV = os.path.join(HERE, ".venv")
VENV_PYTHON = os.path.join(VENV, "bin", "python")


def install():
    """The pinned clients: a venv with requirements.txt, and `npm ci` here. Raises on failure."""
    steps = [
        [sys.executable, "-m", "venv", VENV],
        [VENV_PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", os.path.join(HERE, "requirements.txt")],
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
    ]
    for argv in steps:
        print("$ " + " ".join(argv), flush=True)
        subprocess.run(argv, cwd=HERE, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--install", action="store_true", help="install the pinned clients first")
    parser.add_argument("--profile", default="debug", help="target/PROFILE holds the binaries")
    parser.add_argument("--tuner", help="tuner binary (default: target/PROFILE/tuner)")
    parser.add_argument("--emulator", help="emulator binary (default: target/PROFILE/tuner-emulator)")
    parser.add_argument("--stream-delay-ms", type=int, default=150)
    args = parser.parse_args()

    if args.install:
        try:
            install()
        except (OSError, subprocess.CalledProcessError) as error:
            sys.exit(f"FAIL: could not install the OpenAI clients: {error}")
    for path, what in ((VENV_PYTHON, "the Python venv"),
                       (os.path.join(HERE, "node_modules", "openai"), "node_modules/openai")):
        if not os.path.exists(path):
            sys.exit(f"FAIL: {what} is missing; run with --install")

    try:
        tuner = args.tuner or default_binary("tuner", args.profile)
        emulator = args.emulator or default_binary("tuner-emulator", args.profile)
    except StackError as error:
        sys.exit(f"FAIL: {error}")

    started = time.monotonic()
    failures = []
    try:
        with Stack(tuner=tuner, emulator=emulator, stream_delay_ms=args.stream_delay_ms) as stack:
            env = dict(
                os.environ,
                TUNER_BASE_URL=f"{stack.base}/v1",
                TUNER_TOKEN=stack.reader,
                TUNER_MODEL=MODEL_NAME,
                TUNER_PROVIDER_MODEL=stack.provider_model,
                TUNER_SYSTEM_PROMPT=stack.system_prompt,
                STREAM_DELAY_MS=str(args.stream_delay_ms),
            )
            for name, argv in (
                ("python", [VENV_PYTHON, os.path.join(HERE, "chat_openai.py")]),
                ("node", ["node", os.path.join(HERE, "chat_openai.mjs")]),
            ):
                result = subprocess.run(argv, cwd=HERE, env=env, timeout=120)
                if result.returncode != 0:
                    failures.append(f"the {name} client failed (exit {result.returncode})")
            if failures:
                stack._failed = True
    except StackError as error:
        sys.exit(f"FAIL: setting up tuner and the emulator: {error}")
    except subprocess.TimeoutExpired as error:
        sys.exit(f"FAIL: {error}")

    if failures:
        sys.exit("FAIL: " + "; ".join(failures))
    print(f"real OpenAI clients: all checks passed in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
