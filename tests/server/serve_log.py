"""What the Python tests read from a `scopegate serve` log (pytest puts this folder on the
import path of the tests beside it)."""

import re
import time


def logged_port(log_path, process, seconds=15):
    """The port of the "listening on 127.0.0.1:PORT" line the server writes to `log_path`
    when started with --listen 127.0.0.1:0 (a port the kernel chooses: one found free
    beforehand could be taken before the server binds it); None if it exits or does not
    write it in time. Only a whole line counts: the digits and the " (" after them."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        with open(log_path, errors="replace") as text:
            found = re.search(r"listening on 127\.0\.0\.1:(\d+) \(", text.read())
        if found:
            return int(found.group(1))
        time.sleep(0.02)
    return None
