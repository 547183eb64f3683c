"""`briefing preview`: serve the HTML edition and refresh it on every change until interrupted."""

from __future__ import annotations

import argparse
from pathlib import Path

from .arguments import add_command, name_arg, path_arg


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare `briefing preview`."""
    pv = add_command(sub, "preview", run, "Serve the HTML edition on 127.0.0.1 and refresh the page on every change.")
    pv.add_argument("--audience", "-a", type=name_arg("audience"), help="the audience")
    pv.add_argument("--port", "-p", type=int, default=0, help="the port (default: any free port)")
    pv.add_argument("--out", "-o", type=path_arg, help="output folder (default: a temporary folder, removed on exit)")


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C, printing the URL and each build's lines."""
    # Deferred: the web server pulls in http.server, ssl and email (~40 ms) that no other command needs.
    from ..preview import Preview

    preview = Preview(Path(args.workspace), audience=args.audience, out_dir=Path(args.out) if args.out else None,
                      port=args.port, echo=lambda line: print(line, flush=True))
    print(f"preview at {preview.url} (Ctrl-C stops)", flush=True)
    try:
        preview.start()
        while not preview.stop_event.wait(0.5):
            pass
    except KeyboardInterrupt:
        print("stopping the preview", flush=True)
    finally:
        preview.stop()
    print("stopped the preview", flush=True)
    return 0
