"""Magic-link sign-in: the e-mail is really written (outbox, or a real SMTP server), a link signs in once,
expired, reused and forged links are refused, and an unknown address gets exactly the same answer."""

from __future__ import annotations

import email
import re
import time
import uuid
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from plugin import create_app
from plugin.extension import get_state
from plugin.login import links
from plugin.login.account import handoff_url
from plugin.models import Recruiter
from tests.helpers import free_port
from tests.pages import csrf, make_recruiter, post_form

LINK = re.compile(r"http://brobygger\.test(/login/[\w.\-]+)")


def _outbox(app: Flask) -> list[Message]:
    folder = Path(get_state(app).instance_path) / "outbox"
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def _ask(client: FlaskClient, address: str) -> Any:
    client.get("/login")  # the form's page puts the CSRF token in the session
    return post_form(client, "/login", {"email": address})


def _link(message: Message) -> str:
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    match = LINK.search(body)
    assert match, body
    return match.group(1)


def test_link_is_mailed_and_signs_in_once(app: Flask, client: FlaskClient, tenant: Any) -> None:
    make_recruiter(tenant, email="Kari@Acme.no")
    answer = _ask(client, "KARI@acme.no")
    assert answer.status_code == 200
    assert "Check your e-mail" in answer.get_data(as_text=True)
    [message] = _outbox(app)
    assert message["To"] == "kari@acme.no"
    assert "Acme AS" in message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    link = _link(message)

    assert client.get("/queue").status_code == 302  # not signed in yet
    signed_in = client.get(link)
    assert signed_in.status_code == 302 and signed_in.location.endswith("/queue")
    queue = client.get("/queue")
    assert queue.status_code == 200 and "Kari Nordmann" in queue.get_data(as_text=True)
    cookie = queue.headers.get("Set-Cookie") or signed_in.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie

    post_form(client, "/logout")
    assert client.get("/queue").status_code == 302
    reused = client.get(link)
    assert reused.status_code == 400
    assert "used already" in reused.get_data(as_text=True)
    assert client.get("/queue").status_code == 302


def test_unknown_address_gets_the_same_answer_and_no_mail(app: Flask, client: FlaskClient, tenant: Any) -> None:
    make_recruiter(tenant, email="kari@acme.no")
    make_recruiter(tenant, email="gone@acme.no", name="Gone", active=False)
    known = _ask(client, "kari@acme.no").get_data(as_text=True).replace("kari@acme.no", "ADDRESS")
    for address in ("nobody@acme.no", "gone@acme.no"):
        other = _ask(client, address)
        assert other.status_code == 200
        assert other.get_data(as_text=True).replace(address, "ADDRESS") == known
    assert [m["To"] for m in _outbox(app)] == ["kari@acme.no"]


def test_one_address_in_two_tenants_gets_a_link_for_each(app: Flask, client: FlaskClient, tenant: Any,
                                                        other_tenant: Any) -> None:
    make_recruiter(tenant, email="kari@acme.no")
    make_recruiter(other_tenant, email="kari@acme.no", name="Kari at Rival")
    _ask(client, "kari@acme.no")
    [message] = _outbox(app)
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "Acme AS" in body and "Rival AS" in body
    assert len(LINK.findall(body)) == 2
    client.get(LINK.findall(body)[1])  # tenants in name order: Rival AS second
    assert "Kari at Rival" in client.get("/queue").get_data(as_text=True)


def _aged_token(app: Flask, recruiter_id: str, kind: str, age: int) -> str:
    """A token signed `age` seconds ago with the app's key, as a link sent back then would be."""

    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age

    state = get_state(app)
    with state.sessions() as session:
        tenant_id = session.get(Recruiter, uuid.UUID(recruiter_id)).tenant_id
    claims = {"r": recruiter_id, "t": str(tenant_id), "k": kind, "j": uuid.uuid4().hex}
    return URLSafeTimedSerializer(state.setting("SECRET_KEY"), salt=links.SALT, signer=PastSigner).dumps(claims)


@pytest.mark.parametrize("kind, age, accepted", [
    ("mail", 14 * 60, True), ("mail", 16 * 60, False), ("handoff", 9 * 60, True), ("handoff", 11 * 60, False)])
def test_links_expire(app: Flask, client: FlaskClient, tenant: Any, kind: str, age: int, accepted: bool) -> None:
    recruiter = make_recruiter(tenant)
    response = client.get(f"/login/{_aged_token(app, recruiter['id'], kind, age)}")
    if accepted:
        assert response.status_code == 302
    else:
        assert response.status_code == 400
        assert "expired" in response.get_data(as_text=True)


def test_forged_and_foreign_links_are_refused(app: Flask, client: FlaskClient, tenant: Any) -> None:
    recruiter = make_recruiter(tenant)
    token = _aged_token(app, recruiter["id"], "mail", 0)
    forged = URLSafeTimedSerializer("another-key", salt=links.SALT).dumps({"r": recruiter["id"], "k": "mail"})
    for bad in (token[:-3] + "abc", forged, "nonsense"):
        response = client.get(f"/login/{bad}")
        assert response.status_code == 400
        assert "not valid" in response.get_data(as_text=True)
    tenant.patch(f"/recruiters/{recruiter['id']}", json={"active": False})
    assert client.get(f"/login/{token}").status_code == 400  # deactivated since the link was sent


def test_handoff_link_from_the_sidebar_signs_in(app: Flask, client: FlaskClient, tenant: Any) -> None:
    recruiter = make_recruiter(tenant)
    state = get_state(app)
    with app.app_context(), state.sessions() as session:
        url = handoff_url(session.get(Recruiter, uuid.UUID(recruiter["id"])))
    assert url.startswith("http://brobygger.test/login/")
    path = url.removeprefix("http://brobygger.test")
    assert client.get(path).status_code == 302
    assert client.get("/queue").status_code == 200
    assert client.get(path).status_code == 400  # single use


def test_sign_in_form_needs_the_csrf_token(client: FlaskClient, tenant: Any) -> None:
    make_recruiter(tenant)
    client.get("/login")
    assert client.post("/login", data={"email": "kari@acme.no"}).status_code == 400
    assert client.post("/login", data={"email": "kari@acme.no", "csrf_token": "x" + csrf(client)}).status_code == 400


def test_sign_in_ends_after_twelve_hours(app: Flask, client: FlaskClient, tenant: Any) -> None:
    from tests.pages import sign_in

    sign_in(app, client, make_recruiter(tenant)["id"])
    assert client.get("/queue").status_code == 200
    with client.session_transaction() as session:
        session["brobygger_signed_in_at"] -= 12 * 3600 + 1
    assert client.get("/queue").status_code == 302


def test_mailing_is_rate_limited_per_address(app: Flask, client: FlaskClient, tenant: Any) -> None:
    make_recruiter(tenant)
    for _ in range(links.MAIL_LIMIT + 2):
        assert _ask(client, "kari@acme.no").status_code == 200
    assert len(_outbox(app)) == links.MAIL_LIMIT


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def test_link_goes_through_a_real_smtp_server(app_config: dict, app: Flask, tenant: Any) -> None:
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp_app = create_app({**app_config, "BROBYGGER_SMTP_URL": f"smtp://127.0.0.1:{port}"})
        client = smtp_app.test_client()
        make_recruiter(tenant)
        assert _ask(client, "kari@acme.no").status_code == 200
        [message] = inbox.messages
        assert message["To"] == "kari@acme.no" and message["Subject"] == "Your Brobygger sign-in link"
        assert client.get(_link(message)).status_code == 302
        assert client.get("/queue").status_code == 200
        get_state(smtp_app).engine.dispose()
    finally:
        controller.stop()


def test_a_copied_session_cookie_is_dead_after_logout(app: Flask, client: FlaskClient, tenant: Any) -> None:
    from tests.pages import sign_in

    recruiter = make_recruiter(tenant)
    sign_in(app, client, recruiter["id"])
    name = app.config["SESSION_COOKIE_NAME"]
    copied = client.get_cookie(name)
    assert copied is not None and client.get("/queue").status_code == 200
    assert post_form(client, "/logout").status_code == 302
    client.set_cookie(name, copied.value)  # an attacker kept the cookie (or the browser restores it)
    replayed = client.get("/queue")
    assert replayed.status_code == 302 and "/login" in replayed.location
    sign_in(app, client, recruiter["id"])  # signing in again works at once
    assert client.get("/queue").status_code == 200


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example",
                                    "/\\evil.example", " //evil.example", "/\x00/evil.example"])
def test_next_never_leaves_the_site(app: Flask, client: FlaskClient, tenant: Any, target: str) -> None:
    """Browsers drop tabs and newlines from a URL, so `/\\t/evil.example` in a Location header is `//evil.example`."""
    from tests.pages import sign_in

    recruiter = make_recruiter(tenant)
    sign_in(app, client, recruiter["id"])
    person = tenant.create("/people", {"first_name": "Olav", "owner_id": recruiter["id"]})
    followup = tenant.create("/followups", {"person_id": person["id"], "owner_id": recruiter["id"], "reason": "Hei",
                                            "due_at": "2030-01-01T09:00:00Z"})
    response = post_form(client, f"/queue/{followup['id']}/snooze", {"preset": "1w", "next": target})
    assert response.status_code == 302 and response.location == "/queue"
