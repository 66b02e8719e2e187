#!/usr/bin/env python3
"""SMTP sink for Bote's tests: a real SMTP server (aiosmtpd) that stores every message as a file.

Started by `scripts/services start`; can also be run by hand:

    python3 scripts/smtp_sink.py --dir target/test-services [--tls-cert leaf.pem --tls-key leaf.key]

Listeners (both on 127.0.0.1, ports chosen by the kernel unless --port / --tls-port are given):

* plain port: no TLS, no AUTH, accepts every sender and recipient.
* TLS port (only with --tls-cert/--tls-key): STARTTLS is required before MAIL, and AUTH
  (PLAIN or LOGIN, offered only after STARTTLS) is required; user `bote` with password `secret`
  is accepted (override with --user/--password), every other login gets `535`.

Once both listeners are bound, the sink writes `<dir>/smtp.ports` (shell syntax, written atomically):

    SMTP_PID=<pid>
    SMTP_PORT=<plain port>
    SMTP_TLS_PORT=<tls port or empty>

Storage: each accepted message becomes `<dir>/mail/<UTC timestamp>-<n>.eml`, e.g.
`20250101T120000.123456Z-000001.eml` (n counts up from 1 per sink process, so names sort in
arrival order). The file is written to a temporary name and renamed, so a reader never sees a
half-written message. Its content is the message exactly as received after the DATA command
(full RFC 5322 message, headers and body, dot-unstuffed), preceded by trace header lines the
sink adds at the very top:

    X-Envelope-From: <MAIL FROM address as given, `<>` for the null sender>
    X-Envelope-To: <one line per RCPT TO address, in order>
    X-Sink-Tls: starttls | none
    X-Sink-Auth: <authenticated login> | none

So the envelope recipients are the `X-Envelope-To` header values (use `get_all` with an email
parser, or grep `^X-Envelope-To: `). The added lines use the same line ending as the message.
"""

import argparse
import asyncio
import datetime
import itertools
import os
import signal
import ssl
import sys

try:
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
except ImportError:  # pragma: no cover - explained to the operator
    sys.stderr.write(
        "smtp_sink.py: the Python module 'aiosmtpd' is missing.\n"
        "Install it: apt-get install python3-aiosmtpd  or  python3 -m pip install aiosmtpd\n"
    )
    sys.exit(3)


class MaildirSink:
    """aiosmtpd handler: stores messages in `mail_dir`."""

    def __init__(self, mail_dir):
        self.mail_dir = mail_dir
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content
        if content is None:
            content = envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        newline = b"\r\n" if b"\r\n" in content[:4096] or not content else b"\n"
        auth = session.auth_data
        login = getattr(auth, "login", None) if auth is not None else None
        if isinstance(login, bytes):
            login = login.decode("utf-8", "replace")
        trace = [b"X-Envelope-From: " + (envelope.mail_from or "").encode("utf-8", "replace")]
        for rcpt in envelope.rcpt_tos:
            trace.append(b"X-Envelope-To: " + rcpt.encode("utf-8", "replace"))
        tls = session.ssl is not None
        trace.append(b"X-Sink-Tls: " + (b"starttls" if tls else b"none"))
        trace.append(b"X-Sink-Auth: " + (login.encode("utf-8", "replace") if login else b"none"))
        data = newline.join(trace) + newline + content

        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{stamp}-{next(self.counter):06d}.eml"
        tmp = os.path.join(self.mail_dir, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.mail_dir, name))
        return "250 Message accepted for delivery"


def make_authenticator(user, password):
    def authenticator(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticator


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", required=True, help="run directory (mail/ and smtp.ports go here)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="plain port (0: any free port)")
    parser.add_argument("--tls-port", type=int, default=0, help="STARTTLS+AUTH port (0: any free)")
    parser.add_argument("--tls-cert", help="PEM leaf certificate (with chain) for STARTTLS")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    parser.add_argument("--user", default="bote")
    parser.add_argument("--password", default="secret")
    args = parser.parse_args()

    run_dir = os.path.abspath(args.dir)
    mail_dir = os.path.join(run_dir, "mail")
    os.makedirs(mail_dir, exist_ok=True)
    handler = MaildirSink(mail_dir)
    loop = asyncio.get_running_loop()

    def plain_factory():
        return SMTP(handler, hostname="localhost", ident="Bote test SMTP sink")

    plain = await loop.create_server(plain_factory, args.host, args.port)
    servers = [plain]
    plain_port = plain.sockets[0].getsockname()[1]
    tls_port = ""

    if args.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        authenticator = make_authenticator(args.user, args.password)

        def tls_factory():
            return SMTP(
                handler,
                hostname="localhost",
                ident="Bote test SMTP sink (STARTTLS+AUTH)",
                tls_context=ctx,
                require_starttls=True,
                authenticator=authenticator,
                auth_required=True,
                auth_require_tls=True,
            )

        tls = await loop.create_server(tls_factory, args.host, args.tls_port)
        servers.append(tls)
        tls_port = str(tls.sockets[0].getsockname()[1])

    ports_file = os.path.join(run_dir, "smtp.ports")
    with open(ports_file + ".tmp", "w") as f:
        f.write(f"SMTP_PID={os.getpid()}\nSMTP_PORT={plain_port}\nSMTP_TLS_PORT={tls_port}\n")
    os.rename(ports_file + ".tmp", ports_file)
    print(f"smtp sink: plain 127.0.0.1:{plain_port} tls {tls_port or '-'} -> {mail_dir}", flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for server in servers:
        server.close()
    try:
        os.unlink(ports_file)
    except FileNotFoundError:
        pass


if __name__ == "__main__":
    asyncio.run(main())
