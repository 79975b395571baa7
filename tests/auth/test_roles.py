"""The whole role matrix, in the functions the pages call: each role may do exactly what the issue grants it.

The expected table below is written out from the roles' definitions (viewer reads; marketing:
campaigns; oncall: verdicts, links, silences; admin: users and everything), not read from
``auth.roles``. A refused change raises ``Forbidden`` and stores and audits nothing; an allowed one
is audited under the identity that made it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from datetime import time as clock

import pytest

from alerts.feedback.oncall import correct
from alerts.feedback.silences import add
from auth import local
from auth.roles import Forbidden, Identity
from campaigns.files import campaigns_from_json
from pages import campaign_actions as actions
from store.state import StateDB

ALLOWED = {
    "viewer": set(),
    "marketing": {"announce", "edit", "cancel", "import"},
    "oncall": {"correct verdict", "link campaign", "silence"},
    "admin": {"announce", "edit", "cancel", "import", "correct verdict", "link campaign", "silence",
              "add user", "change password", "remove user", "list users"},
}
PASSWORD = "a long enough password"


def _form(**kw) -> actions.CampaignForm:  # noqa: ANN003
    values = {"name": "Launch JP", "start_date": date(2027, 3, 15), "start_time": clock(14, 30), "owner": "mia"}
    return actions.CampaignForm(**(values | kw))


ACTIONS: dict[str, Callable[[StateDB, Identity], object]] = {
    "announce": lambda s, who: actions.save(s, _form(), "UTC", user=who),
    "edit": lambda s, who: actions.save(s, _form(id="spring", name="Spring again"), "UTC", user=who),
    "cancel": lambda s, who: actions.cancel(s, "spring", user=who),
    "import": lambda s, who: actions.import_rows(s, actions.read_upload(
        "a.json", b'[{"name": "Autumn", "start": "2027-09-01T09:00:00Z"}]'), user=who),
    "correct verdict": lambda s, who: correct(s, "inc-1", user=who, verdict="organic"),
    "link campaign": lambda s, who: correct(s, "inc-1", user=who, campaign="spring"),
    "silence": lambda s, who: add(s, ["incident=inc-1"], "1h", user=who),
    "add user": lambda s, who: local.add_user(s, "newbie", "viewer", PASSWORD, by=who),
    "change password": lambda s, who: local.set_password(s, "old", PASSWORD + "!", by=who),
    "remove user": lambda s, who: local.remove_user(s, "old", by=who),
    "list users": lambda s, who: local.list_users(s, by=who),
}


def _state(tmp_path, name: str) -> StateDB:
    state = StateDB(tmp_path / f"{name}.db")
    spring = '[{"id": "spring", "name": "Spring", "start": "2027-03-01T09:00:00Z"}]'
    state.upsert_campaign(campaigns_from_json(spring)[0])
    state.upsert_incident({"id": "inc-1", "site": "default", "start": "2027-03-01T09:05:00Z", "verdict": "bot",
                           "status": "open", "confidence": 0.8, "end": None, "peak_rps": 40.0,
                           "baseline_rps": 10.0, "campaign": None, "evidence": []})
    state.set_user("old", "viewer", "")
    return state


def _snapshot(state: StateDB) -> tuple:
    return (len(state.audit(limit=1000)), [c.model_dump() for c in state.list_campaigns()], state.feedback(),
            state.active_silences(), state.list_users())


@pytest.mark.parametrize("role", list(ALLOWED))
@pytest.mark.parametrize("via", ["local", "oidc", "proxy", "anonymous"])
def test_each_role_may_do_what_it_is_granted_and_nothing_else(tmp_path, role: str, via: str) -> None:
    who = Identity("anonymous" if via == "anonymous" else "pat", role, via)
    for i, (action, act) in enumerate(ACTIONS.items()):
        state = _state(tmp_path, f"{role}-{via}-{i}")
        before = _snapshot(state)
        if action in ALLOWED[role]:
            act(state, who)
            if action != "list users":
                assert state.audit(limit=1)[0]["user"] == who.audit_name, (role, action)
        else:
            with pytest.raises(Forbidden, match=f"has the {role} role; .* needs the "):
                act(state, who)
            assert _snapshot(state) == before, f"{role} was refused {action} but something changed"


def test_the_audit_names_who_by_how_they_signed_in() -> None:
    assert Identity("mia", "marketing", "local").audit_name == "local:mia"
    assert Identity("olga@example.com", "oncall", "oidc").audit_name == "oidc:olga@example.com"
    assert Identity("anonymous", "viewer", "anonymous").audit_name == "anonymous"


def test_a_write_without_an_identity_is_refused(tmp_path) -> None:
    state = _state(tmp_path, "typed")
    with pytest.raises(Forbidden, match="needs a signed-in identity"):
        correct(state, "inc-1", user="CEO (forged)", verdict="organic")  # a typed name is not an identity
    with pytest.raises(Forbidden):
        actions.cancel(state, "spring", user="CEO (forged)")
    assert state.feedback() == [] and state.get_campaign("spring").status.value != "cancelled"


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match="role 'root' is not one of viewer, marketing, oncall, admin"):
        Identity("x", "root", "local")
