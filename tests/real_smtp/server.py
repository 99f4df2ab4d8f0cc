"""A real SMTP server on loopback for helpdesk's tests: aiosmtpd, saving what it accepts.

Each accepted message is written to DIR as NAME.eml (the bytes received) with its recipients in
NAME.envelope; the .eml appears last, whole. A recipient at --refuse-domain is refused for good
(550), as a real server refuses an unknown mailbox. Prints "ready" once it listens and runs
until its standard input closes, so it never outlives the test that started it.
"""

import argparse
import os
import sys
import time

from aiosmtpd.controller import Controller


class Save:
    def __init__(self, out, refuse):
        self.out = out
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse and address.lower().endswith("@" + self.refuse):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        name = str(time.time_ns())
        with open(os.path.join(self.out, name + ".envelope"), "w") as f:
            f.write("".join(f"to {rcpt}\n" for rcpt in envelope.rcpt_tos))
        partial = os.path.join(self.out, name + ".part")
        with open(partial, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(partial, os.path.join(self.out, name + ".eml"))
        return "250 2.0.0 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--refuse-domain", default="")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(Save(args.dir, args.refuse_domain.lower()), hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
