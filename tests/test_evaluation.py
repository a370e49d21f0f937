"""The Done-when figures of the router, computed on the shipped corpus and real messages."""

from hotline.evaluate import evaluate_corpus, evaluate_teddycup, read_corpus


def test_corpus_is_large_and_covers_both_platforms_and_every_profile():
    rows = read_corpus()
    assert len(rows) >= 400
    assert {r["platform"] for r in rows} == {"12345", "110"}
    assert {r["profile"] for r in rows} >= {"national", "ningguo", "tianjin", "guilin", "baofeng", "liaocheng"}


def test_router_meets_its_targets_on_the_corpus():
    rep = evaluate_corpus()
    assert rep["target_accuracy"] >= 0.95, rep["errors"][:10]
    assert rep["emergency_recall"] == 1.0, [e for e in rep["errors"] if "em=1" in e["expected"]]
    assert rep["emergency_reached_110"] == rep["emergency_rows"]  # every flagged one reaches 110 at once
    assert rep["emergency_handed_away"] == 0  # none told a number or blind-transferred away from 110
    assert rep["false_emergency_rate"] <= 0.05
    for prof, cov in rep["coverage"].items():
        assert not cov["missing"], (prof, cov["missing"])


def test_real_citizen_messages_stay_at_12345(shared_dir):
    rep = evaluate_teddycup(shared_dir / "data/teddycup2020/messages.tsv")
    assert rep["rows"] == 495
    assert rep["routed_away_share"] <= 0.05, rep["examples"]
    assert rep["emergency_share"] <= 0.01


def test_the_frozen_test_split_never_lists_its_rows(capsys):
    from hotline.cli import main
    from hotline.understanding.data import split_files

    files = split_files("test")
    # one file per independent author: after z came aa … az, then ba … bf (sorted, aa … az come before b, ba after it)
    letters = "abcdefghijklmnopqrstuvwxyz"
    authors = [*("a" + c for c in letters), *letters[1:], *("b" + c for c in "abcdefghijklmnopqrstuv")]
    assert [f.name for f in files] == ["test.tsv", *(f"test_{a}.tsv" for a in sorted(authors))]
    for argv in (
        ["--split", "test"],
        ["--corpus", str(files[1])],
        ["--corpus", str(files[0].parent / ".." / "heldout" / files[0].name)],
    ):
        assert main(["eval", "--errors", "--rules-only", *argv]) == 2, argv
        assert "only its figures" in capsys.readouterr().err
