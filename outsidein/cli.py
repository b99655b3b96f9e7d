"""The ``outsidein`` console script: a thin front over Django's management commands."""

import argparse
import os
import sys


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outsidein.settings")
    import django

    django.setup()


def _call(name: str, *args: str) -> int:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command(name, *args)
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _recover_interrupted() -> None:
    """Mark imports left running by a stopped (or killed) server as failed, so they can be
    started again. Once, in this parent process, before any worker starts: a worker that
    uvicorn restarts later must not fail an import another worker is running."""
    _setup_django()
    from django.db import connections

    from research.importing import jobs_recover

    try:
        recovered = jobs_recover()
    except Exception as error:  # noqa: BLE001 - no database yet: the pages will say so
        print(f"warning: could not look for interrupted imports: {error}", file=sys.stderr)
        recovered = 0
    finally:
        for connection in connections.all():  # the workers open their own
            connection.close()
            close_pool = getattr(connection, "close_pool", None)
            if close_pool is not None:
                close_pool()
    if recovered:
        print(f"Marked {recovered} interrupted import(s) as failed.", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="outsidein", description="Outside-In command line.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the app over ASGI (uvicorn)")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--reload", action="store_true")
    # Off by default: access logs hold client IP addresses, which anonymous survey
    # pages promise not to store.
    serve.add_argument("--access-log", action="store_true", help="log every request with its IP")

    demo = sub.add_parser("demo", help="create or refresh the demo organisation (slug 'demo')")
    demo.add_argument("--if-empty", action="store_true",
                      help="only when the database holds no organisation yet")

    org = sub.add_parser("org", help="organisations")
    org_sub = org.add_subparsers(dest="org_command", required=True)
    create = org_sub.add_parser("create", help="create an organisation")
    create.add_argument("slug", metavar="ORG")
    create.add_argument("--name", required=True)

    for name, what in (("import-customers", "customers"), ("import-people", "people")):
        imp = sub.add_parser(name, help=f"import {what} from a CSV file (all or nothing)")
        imp.add_argument("org", metavar="ORG")
        imp.add_argument("file", metavar="FILE")
        imp.add_argument("--dry-run", action="store_true", help="check only; write nothing")

    wave = sub.add_parser("wave", help="research waves")
    wave_sub = wave.add_subparsers(dest="wave_command", required=True)
    wave_new = wave_sub.add_parser("create", help="create a research wave")
    wave_new.add_argument("org", metavar="ORG")
    wave_new.add_argument("name", metavar="WAVE")
    wave_new.add_argument("--start", metavar="DATE", help="first day (YYYY-MM-DD)")
    wave_new.add_argument("--end", metavar="DATE", help="last day (YYYY-MM-DD)")
    wave_new.add_argument("--anonymous", action="store_true")

    responses = sub.add_parser("import", help="import survey responses (CSV or XLSX) into a wave")
    responses.add_argument("org", metavar="ORG")
    responses.add_argument("wave", metavar="WAVE")
    responses.add_argument("file", metavar="FILE")
    responses.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                           help="nps, comment, improvement, customer, unit, response_id, "
                                "contact_me; driver and attribute may repeat")
    responses.add_argument("--mapping", metavar="FILE.json")
    responses.add_argument("--save-mapping", metavar="NAME")
    responses.add_argument("--create-units", action="store_true")
    responses.add_argument("--skip-invalid", action="store_true")
    responses.add_argument("--dry-run", action="store_true")
    responses.add_argument("--json", action="store_true", help="print a JSON summary")

    export = sub.add_parser("export-responses", help="export a wave's responses (CSV or XLSX)")
    export.add_argument("org", metavar="ORG")
    export.add_argument("wave", metavar="WAVE")
    export.add_argument("file", metavar="FILE", help="FILE.csv or FILE.xlsx")

    insights = sub.add_parser("insights", help="print a wave's insights per unit")
    insights.add_argument("org", metavar="ORG")
    insights.add_argument("wave", metavar="WAVE", help="name or id")
    insights.add_argument("--unit", metavar="PATH", help='e.g. "Organisation/Region/Team"')
    insights.add_argument("--json", action="store_true")
    text = sub.add_parser("text", help="text analytics")
    text_sub = text.add_subparsers(dest="text_command", required=True)
    text_analyse = text_sub.add_parser("analyse", help="language, sentiment and themes per CSV row")
    text_analyse.add_argument("file", metavar="FILE")
    text_analyse.add_argument("--column", required=True, metavar="NAME")
    text_analyse.add_argument("--json", action="store_true")

    cascade = sub.add_parser("cascade", help="the 1-2-3 sessions of a wave")
    cascade_sub = cascade.add_subparsers(dest="cascade_command", required=True)
    cascade_new = cascade_sub.add_parser("create", help="one session per unit, in the method's order")
    cascade_new.add_argument("org", metavar="ORG")
    cascade_new.add_argument("wave", metavar="WAVE")
    cascade_kits = cascade_sub.add_parser("kits", help="write every session's PPTX deck and PDF handout")
    cascade_kits.add_argument("org", metavar="ORG")
    cascade_kits.add_argument("wave", metavar="WAVE")
    cascade_kits.add_argument("--out", required=True, metavar="DIR")
    cascade_kits.add_argument("--language", choices=["nl", "en"], default="nl")

    backup = sub.add_parser("backup", help="back up the database and stored files to a .tar.gz")
    backup.add_argument("file", metavar="FILE")
    restore = sub.add_parser("restore", help="restore a backup into an empty database (all or nothing)")
    restore.add_argument("file", metavar="FILE")
    restore.add_argument("--force", action="store_true", help="replace a database that is not empty")
    check = sub.add_parser("check", help="check the configuration and the connections")
    check.add_argument("--production", action="store_true", help="fail when DEBUG is on")

    privacy = sub.add_parser("privacy", help="a person's data under the AVG/GDPR")
    privacy_sub = privacy.add_subparsers(dest="privacy_command", required=True)
    privacy_export = privacy_sub.add_parser("export", help="everything held about a person")
    privacy_export.add_argument("org", metavar="ORG")
    privacy_export.add_argument("email", metavar="EMAIL")
    privacy_export.add_argument("--format", choices=["json", "csv"], default="json")
    privacy_export.add_argument("--out", metavar="FILE")
    privacy_erase = privacy_sub.add_parser("erase", help="remove or anonymise a person's data everywhere")
    privacy_erase.add_argument("org", metavar="ORG")
    privacy_erase.add_argument("email", metavar="EMAIL")
    privacy_erase.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    privacy_retention = privacy_sub.add_parser(
        "retention", help="strip personal data from responses older than the retention policy")
    privacy_retention.add_argument("org", metavar="ORG", nargs="?",
                                   help="one organisation (default: every one with a policy)")
    privacy_retention.add_argument("--dry-run", action="store_true", help="count only; write nothing")

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        import uvicorn

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outsidein.settings")
        # The daily retention run (privacy.scheduler); SCHEDULER_ENABLED=0 leaves it to cron.
        os.environ.setdefault("SCHEDULER_ENABLED", "1")
        _recover_interrupted()
        uvicorn.run("outsidein.asgi:application", host=args.host, port=args.port,
                    access_log=args.access_log,
                    workers=args.workers, reload=args.reload, lifespan="off")
        return 0
    _setup_django()
    if args.command == "manage":
        from django.core.management import execute_from_command_line

        execute_from_command_line(["outsidein manage", *args.args])
        return 0
    if args.command == "demo":
        return _call("demo", *(["--if-empty"] if args.if_empty else []))
    if args.command == "backup":
        return _call("backup", args.file)
    if args.command == "restore":
        return _call("restore", args.file, *(["--force"] if args.force else []))
    if args.command == "check":
        return _call("ops_check", *(["--production"] if args.production else []))
    if args.command == "privacy":
        if args.privacy_command == "export":
            return _call("privacy", "export", args.org, args.email, "--format", args.format,
                         *(["--out", args.out] if args.out else []))
        if args.privacy_command == "retention":
            return _call("privacy", "retention", *([args.org] if args.org else []),
                         *(["--dry-run"] if args.dry_run else []))
        return _call("privacy", "erase", args.org, args.email, *(["--yes"] if args.yes else []))
    if args.command == "cascade":
        if args.cascade_command == "create":
            return _call("cascade_create", args.org, args.wave)
        return _call("cascade_kits", args.org, args.wave, "--out", args.out, "--language", args.language)
    if args.command == "org":
        return _call("org_create", args.slug, "--name", args.name)
    if args.command == "wave":
        return _call("wave_create", args.org, args.name,
                     *(["--start", args.start] if args.start else []),
                     *(["--end", args.end] if args.end else []),
                     *(["--anonymous"] if args.anonymous else []))
    if args.command == "import":
        flags = [f"--map={pair}" for pair in args.map]
        flags += ["--mapping", args.mapping] if args.mapping else []
        flags += ["--save-mapping", args.save_mapping] if args.save_mapping else []
        flags += [flag for flag, on in (("--create-units", args.create_units),
                                        ("--skip-invalid", args.skip_invalid),
                                        ("--dry-run", args.dry_run), ("--json", args.json)) if on]
        return _call("import_responses", args.org, args.wave, args.file, *flags)
    if args.command == "export-responses":
        return _call("export_responses", args.org, args.wave, args.file)
    if args.command == "insights":
        return _call("insights", args.org, args.wave,
                     *(["--unit", args.unit] if args.unit else []),
                     *(["--json"] if args.json else []))
    if args.command == "text":
        return _call("text_analyse", args.file, "--column", args.column,
                     *(["--json"] if args.json else []))
    command = args.command.replace("-", "_")
    return _call(command, args.org, args.file, *(["--dry-run"] if args.dry_run else []))


if __name__ == "__main__":
    sys.exit(main())
