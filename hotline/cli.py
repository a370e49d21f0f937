"""`hotline` console command: one entry point, one sub-command per job.

Exit codes: 0 ok; 2 operator error (unknown profile, broken profile file, bad arguments);
3 a service the command needs is unavailable; 70 an internal error (reported, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from hotline.profile import PLATFORMS, ProfileError

EXIT_OPERATOR = 2
EXIT_UNAVAILABLE = 3
EXIT_INTERNAL = 70


class CommandError(Exception):
    """An error the operator can act on; printed as-is with its exit code."""

    def __init__(self, message: str, code: int = EXIT_OPERATOR) -> None:
        super().__init__(message)
        self.code = code


def default_profile() -> str:
    from hotline.config import settings

    return settings().profile


def _safe_text(s: str) -> str:
    # argv holds undecodable bytes as surrogates; make them U+FFFD so nothing downstream chokes
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------------------- route
def cmd_route(args: argparse.Namespace) -> int:
    from hotline.router import get_router

    router = get_router(args.profile)
    if args.text == "-":
        # one utterance per line in, one JSON object per line out, in order
        data = sys.stdin.buffer.read().decode("utf-8", "replace")
        out = sys.stdout
        for line in data.splitlines():
            d = router.route(line, platform=args.platform, attempt=args.attempt)
            out.write(json.dumps(d.to_dict(), ensure_ascii=False) + "\n")
        out.flush()
        return 0
    d = router.route(_safe_text(args.text), platform=args.platform, attempt=args.attempt)
    if args.json:
        _print_json(d.to_dict())
    else:
        flag = " EMERGENCY" if d.emergency else ""
        print(f"{d.action} -> {d.target}{flag}  [{d.category or '-'}: {d.category_name or '-'}]")
        print(f"  rule: {d.rule}; confidence {d.confidence:.2f}; profile {d.profile}")
        print(f"  matched: {', '.join(d.matched) or '-'}")
        print(f"  why: {d.explanation}")
    return 0


# ---------------------------------------------------------------------------- profiles
def cmd_profiles(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hotline.profile import available_profiles, load_profile, load_profile_path

    if args.profiles_cmd == "list":
        for name in available_profiles():
            p = load_profile(name)
            own, total = len(p.own_category_ids), len(p.categories)
            print(f"{name:<10} {p.name:<8} {own:>3} own / {total:>3} categories  {p.path}")
        return 0
    if args.profiles_cmd == "show":
        p = load_profile(args.name)
        if args.json:
            _print_json(
                {
                    "id": p.id,
                    "name": p.name,
                    "source": p.source,
                    "path": str(p.path),
                    "categories": [c.model_dump() for c in p.categories],
                    "cues": [c.model_dump() for c in p.cues],
                    "numbers": {k: v.model_dump() for k, v in p.numbers.items()},
                }
            )
            return 0
        print(f"{p.id}: {p.name}\n  source: {p.source}\n  file: {p.path}")
        for c in p.categories:
            own = "*" if c.id in p.own_category_ids else " "
            print(f" {own}{c.id:<22} {c.owner:>5} -> {c.target:<15} emergency={c.emergency:<11} {c.name}")
            print(f"     {'、'.join(c.phrases[:12])}{' …' if len(c.phrases) > 12 else ''}")
        print("  (* = the city's own item; the rest comes from the national default)")
        return 0
    # check: the schema (load raises ProfileError), then the words the router could never use
    from hotline.router.dead_words import dead_words

    profiles = [load_profile_path(Path(args.file))] if args.file else [load_profile(n) for n in available_profiles()]
    problems = [f"{p.path}: {problem}" for p in profiles for problem in dead_words(p)]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} word(s) the router can never use", file=sys.stderr)
        return 1
    print(f"ok: {len(profiles)} profile(s) valid")
    return 0


# -------------------------------------------------------------------------------- eval
def cmd_eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hotline.evaluate import evaluate, format_comparison
    from hotline.understanding.data import CorpusError, split_files

    frozen = {f.resolve() for f in split_files("test")}
    named = any(Path(c).resolve() in frozen for c in args.corpus or ())
    if args.errors and ((args.split in ("test", "all") and not args.corpus) or named):
        # the test split judges us: its figures are printed, never its rows
        raise CommandError("--errors is not shown for the test split (only its figures are)")
    split = None if args.corpus else (args.split or "train")
    if split and split != "train" and not split_files(split):
        raise CommandError(f"no {split} split yet (corpus/heldout/{split}.tsv)")
    modes = ["rules"] if args.rules_only else ["rules", "model"]
    try:
        report = evaluate(split, args.corpus or (), args.profile, args.teddycup, modes)
    except CorpusError as e:
        raise CommandError(str(e)) from None
    if "model" in modes:
        from hotline.router import get_router

        model = get_router((args.profile or ["national"])[0]).model
        report["model"] = {"version": model.version, "data_version": model.data_version} if model else None
        if model is None:
            print(
                "hotline: no usable model (see the log line above): 'rules + model' is the rules alone", file=sys.stderr
            )
    if args.json:
        _print_json(report)
    else:
        print(format_comparison(report, show_errors=args.errors, show_tags=not args.no_tags))
        if report.get("model"):
            print(f"  model {report['model']['version']} (data {report['model']['data_version'][:12]})")
    return 0


# ------------------------------------------------------------------------------- train
def cmd_train(args: argparse.Namespace) -> int:
    import time

    from hotline.config import settings
    from hotline.understanding.data import CorpusError, read_files

    try:
        from hotline.understanding.train import train, train_default
    except ImportError as e:  # scikit-learn is needed to train, not to serve
        raise CommandError(f"training needs scikit-learn ({e}): pip install -e .", EXIT_UNAVAILABLE) from None
    out = args.out or settings().understanding_model_dir
    if out is None:
        raise CommandError("HOTLINE_UNDERSTANDING_MODEL=off: give --out DIR")
    t = time.perf_counter()
    try:
        if args.files:
            tune = read_files(args.tune) if args.tune else []
            meta = train(args.files, out, tune, "--tune", scores_out=args.scores)
        else:
            meta = train_default(out, with_dev=not args.no_dev, scores_out=args.scores)
    except CorpusError as e:
        raise CommandError(str(e)) from None
    took = time.perf_counter() - t
    if args.json:
        _print_json({k: v for k, v in meta.items() if k not in ("vocabulary", "idf", "heads")} | {"out": str(out)})
        return 0
    th = meta["thresholds"]
    print(f"model {meta['sha256']} -> {out} in {took:.1f} s")
    print(f"  data {meta['data_version']} ({', '.join(meta['data_files'])})")
    print(f"  rows {meta['rows']}; features {len(meta['vocabulary'])}; libraries {meta['libraries']}")
    print("  thresholds: " + "  ".join(f"{k} {v}" for k, v in th.items()))
    tu = meta["tuning"]
    print(f"  tuned on {tu['on']}:")
    if "rules_doubted" in tu:
        print(f"    rules' emergencies held as hints (doubt):  {tu['rules_doubted']}")
    print(f"    rules alone (what stands of them):         {tu['rules_alone']}")
    print(f"    rules OR model at the emergency threshold: {tu['at_emergency']}")
    print(f"    rules OR model at the hint threshold:      {tu['at_hint']}")
    for author, figures in tu.get("per_author", {}).items():
        print(f"    unheard author {author:<10} at the emergency threshold: {figures}")
    return 0


# ------------------------------------------------------------------------------ parser
def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hotline", description="12345 / 110 linkage IVR")
    sub = ap.add_subparsers(dest="cmd", required=True)

    r = sub.add_parser("route", help="decide what happens to a call from what the caller said")
    r.add_argument("--platform", choices=PLATFORMS, default="12345", help="the platform that received the call")
    r.add_argument(
        "--profile", default=default_profile(), help="linkage profile (default: $HOTLINE_PROFILE or national)"
    )
    r.add_argument("--attempt", type=int, default=1, help="2 = the caller was already asked once")
    r.add_argument("--json", action="store_true", help="print the decision as JSON")
    r.add_argument("text", help="what the caller said; '-' reads one utterance per line from stdin")
    r.set_defaults(func=cmd_route)

    p = sub.add_parser("profiles", help="list, show and check linkage profiles")
    psub = p.add_subparsers(dest="profiles_cmd", required=True)
    psub.add_parser("list")
    show = psub.add_parser("show")
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    chk = psub.add_parser("check")
    chk.add_argument("file", nargs="?", help="a profile file (default: every installed profile)")
    p.set_defaults(func=cmd_profiles)

    e = sub.add_parser("eval", help="accuracy of the router, rules alone and with the model, on a split or corpus")
    e.add_argument("--split", choices=["train", "dev", "test", "all"], default=None, help="default: train")
    e.add_argument("--corpus", action="append", help="a TSV corpus file in any format (repeatable; instead of --split)")
    e.add_argument("--profile", action="append", help="only rows of this profile (repeatable)")
    e.add_argument("--teddycup", default=None, help="TeddyCup messages.tsv: share kept at 12345")
    e.add_argument("--rules-only", action="store_true", help="measure the rules alone")
    e.add_argument("--errors", action="store_true", help="list the rows that failed (not for the test split)")
    e.add_argument("--no-tags", action="store_true", help="leave out the per-tag breakdown")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_eval)

    tr = sub.add_parser("train", help="build the learned layer from the labeled training files (reproducibly)")
    tr.add_argument(
        "--out", default=None, help="artifact folder (default: $HOTLINE_UNDERSTANDING_MODEL or understanding_model/)"
    )
    tr.add_argument("--no-dev", action="store_true", help="tune the thresholds by cross-validation only")
    tr.add_argument("--files", nargs="+", help="train on these files instead of the train split")
    tr.add_argument("--tune", nargs="+", help="with --files: files to tune the thresholds on")
    tr.add_argument("--scores", default=None, help="also write the scores the thresholds were tuned on (TSV)")
    tr.add_argument("--json", action="store_true")
    tr.set_defaults(func=cmd_train)

    a = sub.add_parser("asterisk", help="the real Asterisk: up | down | status")
    a.add_argument("op", choices=["up", "down", "status"])
    a.add_argument(
        "--sim", action="store_true", help="up: with the simulated neighbours and test callers (dev, tests, demo)"
    )
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_asterisk)

    db = sub.add_parser("db", help="the call database: upgrade (bring the schema up to date)")
    db.add_argument("op", choices=["upgrade"])
    db.set_defaults(func=cmd_db)

    st = sub.add_parser("settings", help="every setting (HOTLINE_* environment), its value and what it sets")
    st.add_argument("--markdown", action="store_true", help="the README's table")
    st.set_defaults(func=cmd_settings)

    sv = sub.add_parser("serve", help="run the FastAGI service (foreground)")
    sv.set_defaults(func=cmd_serve)

    c = sub.add_parser("call", help="place a real SIP call (SIPp) into the running system")
    c.add_argument("--platform", choices=PLATFORMS, default="12345")
    c.add_argument("--dtmf", default="", help="keys the caller presses (sent as SIP INFO)")
    c.add_argument("--agent-script", default="", help="DEV: keys the simulated agent presses (*1, *3)")
    c.add_argument("--hold", type=float, default=12.0, help="seconds the caller stays after speaking")
    c.add_argument("--caller-number", default=None, help="the caller's number (default: a random mobile-like one)")
    c.add_argument("--timeout", type=float, default=120.0)
    c.add_argument("--json", action="store_true")
    c.add_argument("wav", help="8 kHz (or 16 kHz) mono WAV: what the caller says")
    c.set_defaults(func=cmd_call)

    m = sub.add_parser("models", help="speech models: list | fetch NAME | verify [NAME] | path NAME")
    m.add_argument("op", choices=["list", "fetch", "verify", "path"])
    m.add_argument("name", nargs="?")
    m.set_defaults(func=cmd_models)

    ad = sub.add_parser("admin", help="the call-log admin site: serve | create-user | token | seed")
    ad.add_argument("op", nargs="?", default="serve", choices=["serve", "create-user", "token", "seed"])
    ad.add_argument("name", nargs="?", help="user name (create-user, token)")
    ad.add_argument("--role", choices=["admin", "reviewer", "agent", "viewer"], default="viewer")
    ad.add_argument("--scope", choices=["", "12345", "110"], default="", help="only this platform's calls")
    ad.add_argument("--token-days", type=int, default=90, help="token: days until it expires")
    ad.add_argument("--token-name", default="", help="token: what it is for")
    ad.add_argument("--host", default="127.0.0.1")
    ad.add_argument("--port", type=int, default=8080)
    ad.add_argument("--calls", type=int, default=500, help="seed: how many demo calls")
    ad.add_argument("--days", type=int, default=30, help="seed: spread over this many days")
    ad.set_defaults(func=cmd_admin)

    co = sub.add_parser("corpus", help="labeled data: export-reviews (reviewers' corrections as TSV rows)")
    co.add_argument("op", choices=["export-reviews"])
    co.add_argument("--since", default=None, help="reviews from this local day on (YYYY-MM-DD)")
    co.add_argument("-o", "--output", default="-", help="TSV file (default: standard output)")
    co.add_argument("--include-confirmed", action="store_true", help="also decisions reviewers marked right")
    co.set_defaults(func=cmd_corpus)

    t = sub.add_parser("transcribe", help="recognize a WAV file")
    t.add_argument("--engine", default="auto", choices=["auto", "whisper", "vosk", "none"])
    t.add_argument("--model", default=None)
    t.add_argument("--json", action="store_true")
    t.add_argument("wav")
    t.set_defaults(func=cmd_transcribe)

    from hotline.linkage.cli import add_parsers  # orders, linkage relay|status|secret, hotspots

    add_parsers(sub)
    return ap


# ----------------------------------------------------------------------- telephony
def cmd_asterisk(args: argparse.Namespace) -> int:
    import time

    from hotline import asterisk
    from hotline.config import settings

    cfg = settings()
    try:
        if args.op == "up":
            t = time.perf_counter()
            what, warnings = asterisk.up(cfg, sim=args.sim)
            shape = "simulation overlay" if args.sim else "production"
            print(f"asterisk {what} in {time.perf_counter() - t:.1f} s ({cfg.asterisk_root}, {shape})")
            for w in warnings:
                print(f"  warning: {w}", file=sys.stderr)
        elif args.op == "down":
            print("asterisk stopped" if asterisk.down(cfg) else "asterisk was not running")
        else:
            st = asterisk.status(cfg)
            if args.json:
                _print_json(st)
            else:
                for k, v in st.items():
                    print(f"{k:>9}: {v}")
            return 0 if st["running"] else EXIT_UNAVAILABLE
    except asterisk.AsteriskError as e:
        raise CommandError(str(e), EXIT_UNAVAILABLE) from None
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    from hotline.config import settings, settings_table

    if args.markdown:  # the README's table
        print("| variable | default | what it sets |\n|---|---|---|")
        for env, default, what in settings_table():
            print(f"| `{env}` | {default} | {what} |")
        return 0
    current = settings().model_dump()
    for (env, _default, what), value in zip(settings_table(), current.values(), strict=True):
        shown = "(set)" if env.endswith(("SECRET", "SECRET_KEY")) and value else value
        print(f"{env:<34} {shown!s:<40} {what}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from hotline.agi.server import run_service

    run_service()
    return 0


def cmd_call(args: argparse.Namespace) -> int:
    from hotline.sim.sipcall import SipCallError, place_call

    try:
        result = place_call(
            args.wav,
            platform=args.platform,
            dtmf=args.dtmf,
            agent_script=args.agent_script,
            hold_s=args.hold,
            timeout_s=args.timeout,
            ref=args.caller_number,
        )
    except SipCallError as e:
        raise CommandError(str(e), EXIT_UNAVAILABLE) from None
    if args.json:
        _print_json(result)
    else:
        print(f"{result['outcome']}  ({result['action']} -> {result['target']}; call {result['call_id']})")
        print(f"  transcript: {result['transcript'] or '-'}")
        if result.get("handover_ms") is not None:
            print(f"  handover: {result['handover_ms']:.0f} ms after the caller stopped speaking")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from hotline.asr import models

    try:
        if args.op == "list":
            for name, m in models.manifest().items():
                state = "installed" if models.installed_path(name) else "-"
                print(f"{name:<26} {m['engine']:<8} {m['language']:<13} {state:<10} {m.get('description', '')}")
        elif args.op == "fetch":
            if not args.name:
                raise CommandError("models fetch needs a model name")
            print(models.fetch(args.name))
        elif args.op == "path":
            p = models.installed_path(args.name or "")
            if p is None:
                raise CommandError(f"model {args.name!r} is not installed", EXIT_UNAVAILABLE)
            print(p)
        else:
            names = [args.name] if args.name else [n for n in models.manifest() if models.installed_path(n)]
            bad = [p for n in names for p in models.verify(n)]
            for n in names:
                print(f"{n}: {'ok' if not models.verify(n) else 'FAILED'}")
            if bad:
                raise CommandError("; ".join(bad), EXIT_UNAVAILABLE)
    except models.ModelError as e:
        raise CommandError(str(e), EXIT_UNAVAILABLE) from None
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from hotline.config import settings
    from hotline.store import migrate

    url = settings().db_url
    try:
        revision = migrate(url)
    except Exception as e:
        raise CommandError(f"database {url.split('@')[-1]}: {type(e).__name__}: {e}", EXIT_UNAVAILABLE) from None
    print(f"schema at revision {revision}")
    return 0


def cmd_admin(args: argparse.Namespace) -> int:
    from hotline.config import settings
    from hotline.store import CallLog, migrate

    migrate(settings().db_url)  # the admin is a service start: the schema is brought up to date once
    if args.op == "serve":
        import threading

        from waitress import serve

        from hotline.admin import create_app, stats

        app = create_app()
        # the dashboard's daily figures are brought up to date now, not on the first visitor's view
        threading.Thread(
            target=stats.refresh, args=(app.extensions["calllog"], settings().zone), name="stats-warmup", daemon=True
        ).start()
        print(f"admin on http://{args.host}:{args.port}/ (database {settings().db_url})", flush=True)
        # behind a reverse proxy the app reads X-Forwarded-For itself (ProxyFix, HOTLINE_ADMIN_TRUSTED_PROXIES)
        keep = settings().admin_trusted_proxies > 0
        serve(
            app,
            host=args.host,
            port=args.port,
            threads=8,
            ident="hotline-admin",
            clear_untrusted_proxy_headers=not keep,
        )
        return 0
    calllog = CallLog(settings().db_url)
    if args.op == "seed":
        import shutil

        from hotline.admin.seed import seed_calls
        from hotline.config import REPO

        # the demo calls share one sample recording, so the detail page has something to play
        rec = settings().state_dir / "recordings" / "demo-sample.wav"
        rec.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / "sounds" / "samples" / "caller-fight.wav", rec)
        n = seed_calls(calllog, args.calls, args.days, recording=str(rec))
        print(f"seeded {n} demo calls")
        return 0
    if not args.name:
        raise CommandError(f"admin {args.op} needs a user name")
    from hotline.admin import audit
    from hotline.admin.auth import create_user
    from hotline.admin.tokens import issue_token

    if args.op == "token":
        try:
            token = issue_token(calllog, args.name, args.token_name, args.token_days, created_by="cli")
        except ValueError as e:
            raise CommandError(str(e)) from None
        audit.record(
            "token_create",
            "token",
            token[:10],
            {"user": args.name, "days": args.token_days},
            username="cli",
            via="cli",
            calllog=calllog,
        )
        print(token)
        return 0
    password = _read_password()
    try:
        create_user(calllog, args.name, password, args.role, args.scope)
    except ValueError as e:
        raise CommandError(str(e)) from None
    audit.record(
        "user_create",
        "user",
        args.name,
        {"role": args.role, "scope": args.scope},
        username="cli",
        via="cli",
        calllog=calllog,
    )
    print(f"user {args.name!r} created ({args.role}{', ' + args.scope + ' only' if args.scope else ''})")
    return 0


def cmd_corpus(args: argparse.Namespace) -> int:
    from datetime import datetime

    from hotline.admin.reviews import export_reviews
    from hotline.config import settings
    from hotline.store import CallLog, migrate

    since = None
    if args.since:
        try:
            since = datetime.strptime(args.since, "%Y-%m-%d").date()
        except ValueError:
            raise CommandError(f"--since {args.since!r}: expected YYYY-MM-DD") from None
    cfg = settings()
    migrate(cfg.db_url)
    calllog = CallLog(cfg.db_url)
    if args.output == "-":
        n = export_reviews(calllog, sys.stdout, since, cfg.zone, args.include_confirmed)
    else:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            n = export_reviews(calllog, out, since, cfg.zone, args.include_confirmed)
    print(f"exported {n} reviewed call(s)", file=sys.stderr)
    return 0


def _read_password() -> str:
    """From a prompt (twice) on a terminal, else the first line of stdin: never from the command line."""
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise CommandError("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def cmd_transcribe(args: argparse.Namespace) -> int:
    from hotline.asr import get_recognizer
    from hotline.asr.base import read_wav_16k

    try:
        pcm = read_wav_16k(args.wav)
    except (OSError, EOFError, ValueError) as e:
        raise CommandError(f"cannot read {args.wav}: {e}") from None
    except Exception as e:  # wave.Error
        raise CommandError(f"cannot read {args.wav}: not a PCM WAV file ({e})") from None
    try:
        rec = get_recognizer(args.engine, args.model)
    except (RuntimeError, ValueError) as e:
        raise CommandError(str(e), EXIT_UNAVAILABLE) from None
    tr = rec.transcribe_pcm(pcm)
    out = {
        "text": tr.text,
        "engine": tr.engine,
        "model": tr.model,
        "audio_s": round(tr.audio_s, 3),
        "decode_s": round(tr.decode_s, 3),
    }
    if args.json:
        _print_json(out)
    else:
        print(tr.text)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ProfileError as e:
        print(f"hotline: profile error: {e}", file=sys.stderr)
        return EXIT_OPERATOR
    except CommandError as e:
        print(f"hotline: {e}", file=sys.stderr)
        return e.code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # the promise: a clear message, never a traceback
        print(f"hotline: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        from hotline.config import settings

        if settings().debug:
            raise
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
