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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="outsidein", description="Outside-In command line.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the app over ASGI (uvicorn)")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--reload", action="store_true")

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

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        import uvicorn

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outsidein.settings")
        uvicorn.run("outsidein.asgi:application", host=args.host, port=args.port,
                    workers=args.workers, reload=args.reload, lifespan="off")
        return 0
    _setup_django()
    if args.command == "manage":
        from django.core.management import execute_from_command_line

        execute_from_command_line(["outsidein manage", *args.args])
        return 0
    if args.command == "demo":
        return _call("demo", *(["--if-empty"] if args.if_empty else []))
    if args.command == "org":
        return _call("org_create", args.slug, "--name", args.name)
    command = args.command.replace("-", "_")
    return _call(command, args.org, args.file, *(["--dry-run"] if args.dry_run else []))


if __name__ == "__main__":
    sys.exit(main())
