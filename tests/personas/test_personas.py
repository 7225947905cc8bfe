from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from personas import PersonaCatalog, load_personas, parse_persona, version_hash
from tests.conftest import FLAGSHIP, ROOT


def test_catalog_has_the_flagship_and_seed_situations(catalog: PersonaCatalog) -> None:
    assert catalog.skipped == []
    assert set(FLAGSHIP) <= set(catalog.personas)
    assert len(catalog.personas) >= 8


def test_every_bank_has_three_distinct_lines(catalog: PersonaCatalog) -> None:
    for persona in catalog.personas.values():
        banks = [persona.opening_lines, persona.rejecting_offer, persona.accepting_offer,
                 persona.closing.resolved, persona.closing.walked_away, *persona.reactions.values()]
        for stage in ("venting", "demanding", "negotiating", "resolving"):
            bank = getattr(persona.lines, stage)
            banks += [bank.low, bank.medium, bank.high]
        for bank in banks:
            assert len(set(bank)) >= 3, f"{persona.slug}: {bank}"


def test_language_barrier_style(catalog: PersonaCatalog) -> None:
    persona = catalog.get("language-barrier")
    assert persona.style.confused_by_jargon and persona.style.max_sentence_words <= 15
    triggers = {t.when.value for t in persona.triggers.escalation}
    assert {"jargon", "long_sentence"} <= triggers


def _copy_personas(tmp_path: Path) -> Path:
    target = tmp_path / "personas"
    shutil.copytree(ROOT / "personas", target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def test_broken_file_is_skipped_with_file_and_field(tmp_path: Path) -> None:
    folder = _copy_personas(tmp_path)
    text = (folder / "hostile.yaml").read_text().replace("walk_away_after: 2", "walk_away_after: 2\nmood: grumpy")
    (folder / "hostile.yaml").write_text(text)
    bad = (folder / "provocateur.yaml").read_text().replace("start_frustration: 6,", "start_frustration: 66,")
    (folder / "provocateur.yaml").write_text(bad)
    catalog = load_personas(folder)
    messages = {s.path.name: s.message for s in catalog.skipped}
    assert set(messages) == {"hostile.yaml", "provocateur.yaml"}
    assert "hostile.yaml: mood: Extra inputs are not permitted" in messages["hostile.yaml"]
    assert "difficulty.normal.start_frustration" in messages["provocateur.yaml"]
    assert "discount-demander" in catalog.personas and "hostile" not in catalog.personas


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"broken.yaml: YAML syntax error at line 2: "):
        parse_persona("slug: broken\nname: x: y\n", tmp_path / "broken.yaml")


def test_not_a_mapping_and_slug_mismatch(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="expected a mapping"):
        parse_persona("- a list\n", tmp_path / "x.yaml")
    text = (ROOT / "personas" / "hostile.yaml").read_text()
    with pytest.raises(ValueError, match="slug: 'hostile' must match the file name 'angry'"):
        parse_persona(text, tmp_path / "angry.yaml")


def test_unknown_trigger_and_too_few_lines(tmp_path: Path) -> None:
    text = (ROOT / "personas" / "hostile.yaml").read_text()
    with pytest.raises(ValueError, match=r"triggers.escalation.0.when"):
        parse_persona(text.replace("{when: calm_down, delta: 3}", "{when: shouting, delta: 3}"),
                      tmp_path / "hostile.yaml")
    short = text.replace('      - "Fine. I\'m listening. Just make it real this time."\n', "")
    with pytest.raises(ValueError, match=r"lines.venting.low: List should have at least 3 items"):
        parse_persona(short, tmp_path / "hostile.yaml")


def test_version_hash_changes_with_content(catalog: PersonaCatalog, tmp_path: Path) -> None:
    original = catalog.get("hostile")
    edited = parse_persona((ROOT / "personas" / "hostile.yaml").read_text().replace("Derek Malone", "Derek M."),
                           tmp_path / "hostile.yaml")
    assert version_hash(original) == version_hash(catalog.get("hostile"))
    assert version_hash(original) != version_hash(edited)
