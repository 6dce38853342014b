"""The shared read path of every tool that reads several files (mirrorctl/targets/__init__.py)."""

from __future__ import annotations

from pathlib import Path

from conftest import write

from mirrorctl import targets
from mirrorctl.errors import ConfigParseError, ScopeUnavailable


def _parse(data: bytes, text: str, path: Path) -> dict[str, str]:
    if text.startswith("!"):
        raise ConfigParseError("not a config", path=path, line=1)
    key, _, value = text.strip().partition("=")
    return {key: value}


def test_files_are_read_in_order_a_dry_run_first_and_a_refused_file_is_a_finding(tmp_path: Path):
    low, bad, high, absent = (tmp_path / name for name in ("low", "bad", "high", "absent"))
    write(low, "index=a")
    write(bad, "!broken")
    write(high, "index=b")
    loaded = targets.load_layers("faketool", [low, bad, high, absent], _parse, {high: b"index=c"})
    assert [(layer.path, layer.values) for layer in loaded.layers] == [(low, {"index": "a"}), (high, {"index": "c"})]
    assert loaded.read == [low, high]
    assert [(f.code, f.tool, f.path, f.line) for f in loaded.findings] == [("file-refused", "faketool", bad, 1)]
    counted = targets.load_layers("faketool", [low, bad], _parse, refused_counts_as_read=True)
    assert counted.read == [low, bad]


def test_a_later_file_with_another_value_shadows_the_written_one(tmp_path: Path):
    system, user, project = (tmp_path / name for name in ("system", "user", "project"))
    setters = {"index": [(user, "a"), (project, "b")], "same": [(user, "x"), (project, "x")],
               "lower": [(system, "z"), (user, "y")], "theirs": [(project, "q")]}
    assert targets.shadows(setters, [system, user, project], user) == [("index", project, "b")]
    assert targets.shadows(setters, [system, project], user) == []  # the written file is not read at all


def test_a_scope_missing_here_is_a_note_and_the_default_scope_otherwise(tmp_path: Path):
    def resolve(scope: str) -> Path:
        if scope == "venv":
            raise ScopeUnavailable("no virtualenv is active")
        return tmp_path / scope

    assert targets.in_scope("faketool", None, resolve) == (tmp_path / "user", [])
    found, notes = targets.in_scope("faketool", "venv", resolve)
    assert found is None
    assert [(n.code, n.level, n.params) for n in notes] == [
        ("scope-unavailable", "note", {"scope": "venv", "reason": "no virtualenv is active"})]


def test_a_merge_that_folds_file_by_file_keeps_its_findings_in_file_order_with_the_refusals(tmp_path: Path):
    from mirrorctl.results import Finding

    first, bad, last = (tmp_path / name for name in ("first", "bad", "last"))
    write(first, "index=a")
    write(bad, "!broken")
    write(last, "index=b")
    findings: list[Finding] = []
    read: list[Path] = []
    for layer in targets.iter_layers("faketool", [first, bad, last], _parse, findings=findings, read=read):
        findings.append(Finding("faketool.seen", "note", "faketool", layer.path))
    assert [(f.code, f.path) for f in findings] == [("faketool.seen", first), ("file-refused", bad),
                                                    ("faketool.seen", last)]
    assert read == [first, last]
