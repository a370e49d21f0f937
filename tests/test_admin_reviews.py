"""Reviewers teach the router: a correction in the admin becomes a labeled TSV row of the training
format (`hotline corpus export-reviews`), with the reviewer and the date kept."""

from __future__ import annotations

import csv
import io

import pytest

from hotline.admin.reviews import EXPORT_COLUMNS, decision_label, export_reviews
from tests.admin_support import call_id, csrf, login, make_app, make_log


@pytest.fixture
def app(tmp_path):
    db, log = make_log(tmp_path, calls=30, events=False)
    log.open_call("missed-1", "12345", "13700000000", "national")
    log.update(
        "missed-1",
        transcript="我家楼上一直有人在喊救命\t还有砸东西的声音",
        action="accept",
        target="12345",
        category="noise",
        emergency=False,
        outcome="accepted:12345",
    )
    return make_app(tmp_path, db)


def review(c, cid: int, **data):
    page = c.get(f"/calls/{cid}").get_data(as_text=True)
    return c.post(f"/calls/{cid}/review", data={"csrf_token": csrf(page), **data})


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


@pytest.mark.parametrize(
    ("action", "target", "label"),
    [
        ("transfer", "110", ("platform", "110")),
        ("accept", "12345", ("platform", "12345")),
        ("conference", "119", ("number", "119,110")),
        ("guide", "12348", ("guide", "12348")),
        ("clarify", "12345", ("clarify", "recv")),
        ("agent", "110", ("agent", "recv")),
    ],
)
def test_decisions_map_to_the_corpus_labels(action, target, label):
    assert decision_label(action, target) == label


def test_a_reviewers_correction_exports_as_a_training_row(app):
    log = app.extensions["calllog"]
    c = app.test_client()
    login(c, "rita")
    cid = call_id(log, "missed-1")
    r = review(c, cid, verdict="wrong", destination="platform|110", emergency="y", category="violence", note="有人呼救")
    assert r.status_code == 302
    page = c.get(f"/calls/{cid}").get_data(as_text=True)
    assert "rita" in page and "110 公安处置" in page and "紧急" in page
    out = io.StringIO()
    assert export_reviews(log, out) == 1
    text = out.getvalue()
    assert text.splitlines()[0].split("\t") == list(EXPORT_COLUMNS)
    (row,) = rows_of(text)
    assert row["kind"] == "platform" and row["targets"] == "110" and row["emergency"] == "1"
    assert row["category"] == "violence" and row["platform"] == "12345" and row["profile"] == "national"
    assert row["source"] == "review:rita" and row["reviewer"] == "rita"
    assert row["text"] == "我家楼上一直有人在喊救命 还有砸东西的声音"  # one line, no tab
    assert row["reviewed_at"].endswith("+00:00")  # zone given by the caller; UTC here


def test_confirmations_only_when_asked_and_the_latest_review_counts(app):
    log = app.extensions["calllog"]
    c = app.test_client()
    login(c, "alice")
    one = call_id(log, "night-1")
    review(c, one, verdict="correct")
    cid = call_id(log, "missed-1")
    review(c, cid, verdict="wrong", destination="platform|12345", category="noise")
    review(c, cid, verdict="wrong", destination="number|120,110", emergency="y")
    out = io.StringIO()
    assert export_reviews(log, out) == 1
    (row,) = rows_of(out.getvalue())
    assert (row["kind"], row["targets"], row["emergency"]) == ("number", "120,110", "1")
    out = io.StringIO()
    assert export_reviews(log, out, include_confirmed=True) == 2
    confirmed = rows_of(out.getvalue())[0]
    assert confirmed["kind"] == "platform" and confirmed["targets"] == "110" and "confirmed" in confirmed["tags"]


def test_viewers_and_scoped_reviewers_cannot_review_other_calls(app):
    log = app.extensions["calllog"]
    c = app.test_client()
    login(c, "bob")
    cid = call_id(log, "missed-1")
    assert review(c, cid, verdict="wrong", destination="platform|110").status_code == 403
    bad = app.test_client()
    login(bad, "rita")
    assert review(bad, cid, verdict="wrong", destination="platform|999").status_code == 400


@pytest.mark.slow  # the CLI as processes
def test_export_reviews_cli_since_and_file(app, hotline_cli, tmp_path):
    log = app.extensions["calllog"]
    c = app.test_client()
    login(c, "rita")
    review(c, call_id(log, "missed-1"), verdict="wrong", destination="platform|110", emergency="y")
    env = {"HOTLINE_DB_URL": app.config["HOTLINE_DB_URL"]}
    out = tmp_path / "reviews.tsv"
    r = hotline_cli("corpus", "export-reviews", "-o", str(out), env=env)
    assert r.returncode == 0, r.stderr
    (row,) = rows_of(out.read_text(encoding="utf-8"))
    assert row["source"] == "review:rita" and row["reviewed_at"].endswith("+08:00")
    later = hotline_cli("corpus", "export-reviews", "--since", "2099-01-01", env=env)
    assert later.returncode == 0 and later.stdout.decode().count("\n") == 1  # the header only
    assert hotline_cli("corpus", "export-reviews", "--since", "soon", env=env).returncode == 2
