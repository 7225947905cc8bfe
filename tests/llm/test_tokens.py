from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from llm import tokens


def test_offline_encodings_give_tiktokens_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "cache"))
    tokens._encoding.cache_clear()
    assert tokens._encoding("cl100k_base").encode("hello world") == [15339, 1917]
    assert tokens._encoding("o200k_base").encode("hello world") == [24912, 2375]
    assert tokens.encoding_name_for("gpt-4o") == "o200k_base"
    assert tokens.encoding_name_for("gpt-4") == "cl100k_base"
    assert tokens.encoding_name_for("some-local-model") == "cl100k_base"
    text = "hello world" * 50
    assert tokens.count_tokens(text, "gpt-4o") == len(tokens._encoding("o200k_base").encode(text))
    assert tokens.count_tokens(text, "gpt-4o") != len(text) // 4


def test_corrupt_bundled_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "cl100k_base.tiktoken.gz"
    bad.write_bytes(gzip.compress(b"aGVsbG8= 0\n"))
    monkeypatch.setattr(tokens, "_bundled_file", lambda name: bad)
    assert tokens.prime_cache(tmp_path / "cache", "cl100k_base") is False
    assert not (tmp_path / "cache").exists()


def test_count_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> None:
        raise LookupError("no encoding")

    monkeypatch.setattr(tokens, "_encoding", broken)
    assert tokens.count_tokens("x" * 40, "gpt-4o") == 10
