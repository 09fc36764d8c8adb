"""Sending e-mail: SMTP from BROBYGGER_SMTP_URL, or .eml files in the instance folder when none is set
(so a development machine never needs a mail server, and nothing is lost: the files are the outbox).
With SMTP nothing is written to disk: a production deployment keeps no copy of what it sent.

A mail a recruiter can turn off carries its unsubscribe URL in `List-Unsubscribe` with
`List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 2369, RFC 8058), so mail programs offer a button
that POSTs to it."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urlsplit


class MailError(Exception):
    """The message was not accepted; the delivery is retried. The text never contains credentials."""


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str | None
    message_id: str  # deterministic per delivery, so a receiver can tell a resend from a new message
    unsubscribe: str | None = None  # the one-click unsubscribe URL of a mail its reader can turn off
    reply_to: str | None = None  # a recruiter's message: answers go to the recruiter, not to us
    automatic: bool = True  # written by Brobygger (a digest): no auto-replies; False for a person's message


class _Policy(EmailPolicy):
    """The default policy, except that `List-Unsubscribe` is written as it is: folded at 78 columns, a long
    URL would come out as RFC 2047 encoded words, which mail programs do not read as a URL."""

    RAW = frozenset({"list-unsubscribe"})

    def _raw(self, name: str, value: object) -> str | None:
        line = f"{name}: {value}"
        if name.lower() not in self.RAW or len(line) > 998 or not line.isascii() or not line.isprintable():
            return None
        return line + self.linesep

    def fold(self, name: str, value: object) -> str:
        return self._raw(name, value) or super().fold(name, value)

    def fold_binary(self, name: str, value: object) -> bytes:
        raw = self._raw(name, value)
        return raw.encode("ascii") if raw else super().fold_binary(name, value)


POLICY = _Policy()


def build(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["From"], message["To"], message["Subject"] = sender, mail.to, mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = mail.message_id
    if mail.automatic:
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a digest
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    if mail.unsubscribe:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    return message


def send(mail: Mail, *, smtp_url: str, sender: str, outbox: Path, timeout: float = 30) -> None:
    message = build(mail, sender)
    if not smtp_url:
        outbox.mkdir(parents=True, exist_ok=True)
        name = mail.message_id.strip("<>").replace("/", "_").replace("@", "_at_")
        (outbox / f"{name}.eml").write_bytes(bytes(message))
        return
    url = urlsplit(smtp_url)
    if url.scheme not in ("smtp", "smtps"):
        raise MailError("BROBYGGER_SMTP_URL must start with smtp:// or smtps://")
    try:
        if url.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(url.hostname or "localhost", url.port or 465, timeout=timeout,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(url.hostname or "localhost", url.port or 25, timeout=timeout)
        with client:
            client.ehlo()
            if url.scheme == "smtp" and client.has_extn("starttls"):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"SMTP server {url.hostname}:{url.port} refused or failed: {type(exc).__name__}") from None


def outbox_texts(outbox: Path) -> Iterator[tuple[Path, str]]:
    """Each message file of the outbox with what a reader sees in it (headers, and every text part decoded
    from its transfer encoding), so a search finds a name however the message was encoded."""
    if not outbox.is_dir():
        return
    for path in sorted(outbox.glob("*.eml")):
        raw = path.read_bytes()
        texts = [raw.decode("utf-8", "replace")]  # as stored, should a part not decode
        message = message_from_bytes(raw, policy=policy.default)
        try:
            texts += [f"{name}: {value}" for name, value in message.items()]
            texts += [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
        except (LookupError, ValueError):  # a charset or header Python cannot read
            pass
        yield path, "\n".join(texts)
