"""A render worker for tests: a chunk containing CRASH exits, one containing SLEEP hangs,
every other chunk is rendered by the real worker."""

import json
import os
import sys
import time

from reporting.publications.render_chunk import render_file


def main() -> None:
    for line in sys.stdin:
        job = json.loads(line)
        with open(job["html"], encoding="utf-8") as handle:
            html = handle.read()
        if "CRASH" in html:
            sys.stderr.write("simulated crash in the render worker\n")
            sys.stderr.flush()
            os._exit(3)
        if "SLEEP" in html:
            time.sleep(60)
        sys.stdout.write(json.dumps({"ok": True, "pages": render_file(job["html"], job["pdf"])}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
