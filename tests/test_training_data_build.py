"""scripts/build_training_data.py must not shrink a committed file of recognizer transcripts on a machine whose
speech cache lacks the rows it was made from (``--cached-speech`` speaks only the rows synthesized there)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from hotline.corpus.schema import COLUMNS, read_rows, write_rows

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "build_training_data.py"


@pytest.fixture(scope="module")
def build():
    spec = importlib.util.spec_from_file_location("build_training_data", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows(n: int) -> list[dict[str, str]]:
    return [{c: (f"w{i:04d}-asr" if c == "id" else "x") for c in COLUMNS} for i in range(n)]


def test_a_transcript_file_is_not_rewritten_from_an_incomplete_speech_cache(build, tmp_path):
    path = tmp_path / "asr_whisper.tsv"
    write_rows(path, rows(1288))
    with pytest.raises(SystemExit, match="cache is incomplete"):
        build.write_spoken(path, rows(350))
    assert len(read_rows(path)) == 1288  # left as it was


def test_a_transcript_file_may_lose_the_few_rows_that_came_out_empty(build, tmp_path):
    path = tmp_path / "asr_whisper.tsv"
    write_rows(path, rows(1288))
    assert build.write_spoken(path, rows(1287)) == 1287
    assert build.write_spoken(tmp_path / "new.tsv", rows(5)) == 5  # a new file: nothing to lose
