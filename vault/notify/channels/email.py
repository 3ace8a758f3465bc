"""Email over SMTP (smtplib): text with an optional HTML alternative, UTF-8 headers, a Message-ID
derived from the outbox row so a resent duplicate is recognisable."""
from __future__ import annotations

import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, getaddresses, parseaddr

from vault.notify.channels.base import DeliveryContext, DeliveryError, Envelope

# Callers may add these (List-Unsubscribe for the status page, Reply-To for access requests) and
# X- headers; the rest are ours to set.
ALLOWED_HEADERS = {"list-unsubscribe", "list-unsubscribe-post", "list-id", "reply-to", "precedence"}


def validate_target(target: str) -> tuple[str, str]:
    """(address, display name) of 'a@b.c' or 'Name <a@b.c>'; ValueError if it is not one address."""
    if not isinstance(target, str) or any(ch in target for ch in "\r\n\0"):
        raise ValueError("the email address contains line breaks")
    pairs = getaddresses([target])
    if len(pairs) != 1 or not pairs[0][1]:
        raise ValueError(f"{target!r} is not one email address")
    name, addr = pairs[0]
    local, _, domain = addr.rpartition("@")
    if not local or not domain or "." not in domain.strip(".") or len(addr) > 320:
        raise ValueError(f"{target!r} is not a valid email address")
    if not local.isascii() or any(ch.isspace() for ch in addr):
        raise ValueError(f"{target!r}: only plain ASCII mailbox names are supported")
    try:
        domain = domain.encode("idna").decode("ascii").lower()
        Address(display_name=name, username=local, domain=domain)
    except (UnicodeError, ValueError) as exc:
        raise ValueError(f"{target!r} is not a valid email address ({exc})") from exc
    return f"{local}@{domain}", name.strip()[:200]


def validate_headers(headers: dict | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in (headers or {}).items():
        key = str(name).strip()
        if key.lower() not in ALLOWED_HEADERS and not key.lower().startswith("x-"):
            raise ValueError(f"the header {key!r} cannot be set by callers")
        if not key.replace("-", "").isalnum() or any(ch in str(value) for ch in "\r\n\0"):
            raise ValueError(f"the header {key!r} has a bad name or a line break in its value")
        out[key] = str(value)
    return out


# URL headers a mail client parses as-is (RFC 2369 / RFC 8058): the default policy folds a value longer
# than 78 characters with no space in it as an RFC 2047 encoded word ("=?utf-8?q?=3Chttps..."), which
# no client reads as a link, so one-click unsubscribe vanished. These go out unfolded (RFC 5322 allows
# 998 characters a line).
_VERBATIM_HEADERS = {"list-unsubscribe", "list-unsubscribe-post", "list-id"}


class _MailPolicy(EmailPolicy):
    def _verbatim(self, name: str, value) -> str | None:
        text = str(value)
        if name.lower() in _VERBATIM_HEADERS and text.isascii() and len(name) + len(text) + 2 <= 998:
            return f"{name}: {text}{self.linesep}"
        return None

    def fold(self, name, value):
        return self._verbatim(name, value) or super().fold(name, value)

    def fold_binary(self, name, value):
        line = self._verbatim(name, value)
        return line.encode("ascii") if line else super().fold_binary(name, value)


MAIL_POLICY = _MailPolicy()


def message_id(env: Envelope, mail_from: str) -> str:
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "trustvault.invalid"
    return f"<notify.{env.id}.{env.uid}@{domain}>"


def build(env: Envelope, *, mail_from: str, now) -> EmailMessage:
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["Subject"] = env.message.subject
    msg["From"] = mail_from
    local, _, domain = env.target.rpartition("@")
    msg["To"] = Address(display_name=env.target_name, username=local, domain=domain)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(env, mail_from)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies
    for name, value in env.headers.items():
        msg[name] = value
    msg.set_content(env.message.text or "", charset="utf-8")
    if env.message.html:
        msg.add_alternative(env.message.html, subtype="html", charset="utf-8")
    return msg


def deliver(env: Envelope, ctx: DeliveryContext) -> None:
    s = ctx.settings
    if not s.mail_from:
        raise DeliveryError("MAIL_FROM is not set: configure the sender address")
    msg = build(env, mail_from=s.mail_from, now=ctx.now)
    sender = parseaddr(s.mail_from)[1]
    try:
        if s.smtp_ssl:
            smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=ctx.timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=ctx.timeout)
        with smtp:
            if s.smtp_starttls and not s.smtp_ssl:
                smtp.starttls(context=ssl.create_default_context())  # refuses if the server does not offer it
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password or "")
            smtp.send_message(msg, from_addr=sender, to_addrs=[env.target])
    except smtplib.SMTPRecipientsRefused as exc:
        # RFC 5321 4.2.1: 5yz is a permanent refusal (550 no such mailbox, 553, 554), 4yz a temporary one
        # (450/451/452, greylisting). Permanent only if every recipient got a 5yz (we send one each).
        replies = list(exc.recipients.values())
        code, text = replies[0]
        raise DeliveryError(f"the mail server refused {env.target}: {code} {_text(text)}",
                            permanent=bool(replies) and all(_permanent(c) for c, _ in replies)) from exc
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        # MAIL FROM or the message itself refused: 5yz for good (554 rejected content), 4yz (421, 451) later.
        raise DeliveryError(f"the mail server refused the message: {exc.smtp_code} {_text(exc.smtp_error)}",
                            permanent=_permanent(exc.smtp_code)) from exc
    except smtplib.SMTPResponseException as exc:
        # Greeting, HELO, STARTTLS or AUTH: the server or our settings, not this message. Kept transient
        # so that once an admin fixes the login, the queue goes out without a retry click per row.
        raise DeliveryError(f"the mail server answered {exc.smtp_code} {_text(exc.smtp_error)}") from exc
    except (smtplib.SMTPException, OSError) as exc:  # refused connection, timeout, disconnect: transient
        raise DeliveryError(f"could not send through {s.smtp_host}:{s.smtp_port} "
                            f"({type(exc).__name__}: {exc})") from exc


def _permanent(code) -> bool:
    return isinstance(code, int) and 500 <= code < 600


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
