"""``python -m crawler.replica DATA.json [--port N]``: serve a replica until Ctrl-C."""
from __future__ import annotations

import argparse
import json
import sys
import time

from . import Replica


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.replica",
                                     description="Serve a local replica of reports.ofsted.gov.uk.")
    parser.add_argument("data", help="data description (JSON; see crawler.replica)")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    try:
        site = Replica.from_file(args.data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        reason = exc if not isinstance(exc, KeyError) else f"missing field {exc}"
        print(f"{args.data}: cannot load replica data: {reason}", file=sys.stderr)
        return 2
    except json.JSONDecodeError as exc:  # pragma: no cover - subclass of ValueError
        print(f"{args.data}: not JSON: {exc}", file=sys.stderr)
        return 2
    url = site.start(args.port, args.host)
    print(f"replica of reports.ofsted.gov.uk serving {len(site.providers())} providers at {url}",
          flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
