"""`hotline` console command: one entry point, one sub-command per job.

Exit codes: 0 ok; 2 operator error (unknown profile, broken profile file, bad arguments);
3 a service the command needs is unavailable; 70 an internal error (reported, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence

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
    return os.environ.get("HOTLINE_PROFILE", "national")


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
    # check
    paths = [Path(args.file)] if args.file else None
    names = available_profiles()
    checked = 0
    if paths:
        load_profile_path(paths[0])
        checked = 1
    else:
        for n in names:
            load_profile(n)
            checked += 1
    print(f"ok: {checked} profile(s) valid")
    return 0


# -------------------------------------------------------------------------------- eval
def cmd_eval(args: argparse.Namespace) -> int:
    from hotline.evaluate import evaluate_corpus, evaluate_teddycup, format_report

    report = {"corpus": evaluate_corpus(args.corpus, profiles=args.profile)}
    if args.teddycup:
        report["teddycup"] = evaluate_teddycup(args.teddycup, profile=args.profile[0] if args.profile else "national")
    if args.json:
        _print_json(report)
    else:
        print(format_report(report, show_errors=args.errors))
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

    e = sub.add_parser("eval", help="accuracy of the router on the labeled corpus")
    e.add_argument("--corpus", default=None, help="TSV corpus (default: the shipped one)")
    e.add_argument("--profile", action="append", help="only rows of this profile (repeatable)")
    e.add_argument("--teddycup", default=None, help="TeddyCup messages.tsv: share routed away from 12345")
    e.add_argument("--errors", action="store_true", help="list the rows that failed")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_eval)

    for register in _EXTRA_COMMANDS:
        register(sub)
    return ap


# later subsystems (asterisk, serve, call, ...) register their sub-commands here
_EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    _load_extra_commands()
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
        if os.environ.get("HOTLINE_DEBUG"):
            raise
        return EXIT_INTERNAL


def _load_extra_commands() -> None:
    if _EXTRA_COMMANDS:
        return
    import importlib

    for mod in ("hotline.telephony.cli",):
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name and e.name.startswith("hotline"):
                continue  # that subsystem is not part of this install
            raise
        _EXTRA_COMMANDS.append(m.register)


if __name__ == "__main__":
    sys.exit(main())
