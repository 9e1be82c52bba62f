"""The register feed from market supervision (issue 15): licences, changes, cancellations and revocations pushed by
the AIC registration system, signed, idempotent by event id and ordered by the register's version."""

from __future__ import annotations

import copy
import json

import pytest
from django.test import Client
from django.utils import timezone

from departments.adapters.http import sign
from departments.models import Department, Filing, FilingKind
from forms_engine.samples import _shipped
from registration.models import Application, Enterprise, RegisterEvent
from registration.register_feed import register_items
from registration.verification import institution_create
from tests.workflow import Api, approve_everything

USCC = "91440300708461136T"
LEGAL_REP_ID = "441900199005151231"  # 陈志明, in the sample


def register_sample() -> dict:
    items = register_items()
    return {k: v for k, v in copy.deepcopy(_shipped()["electronics_trader"]).items() if k in items}


def push(body: dict, secret: str | None = None, raw: bytes | None = None):
    event = {"sent_at": timezone.now().isoformat(), **body}
    raw = raw if raw is not None else json.dumps(event, ensure_ascii=False).encode()
    key = secret if secret is not None else Department.objects.get(code="AIC").hmac_secret
    return Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/register/events", raw, content_type="application/json", HTTP_X_SIGNATURE=sign(key, raw)
    )


def licence(event_id="lic-1", version=1, uscc=USCC, **data):
    return push({
        "event_id": event_id, "uscc": uscc, "kind": "licence", "version": version, "established_on": "2014-03-01",
        "data": {**register_sample(), **data},
    })  # fmt: skip


def test_a_pushed_licence_enters_the_register_in_canonical_form(seeded):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in USCC.lower())
    answer = licence(uscc=full_width, postcode="５２３０７１")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["changed"] is True and answer.json()["outcome"] == "applied"
    enterprise = Enterprise.objects.get(uscc=USCC)
    assert (enterprise.status, enterprise.register_version, enterprise.owner) == ("active", 1, None)
    assert enterprise.data["legal_rep"]["id_number"] == LEGAL_REP_ID
    assert enterprise.data.get("postcode", "523071") == "523071"


def test_a_replay_changes_nothing_and_says_so(seeded):
    assert licence().json()["changed"] is True
    again = licence()
    assert again.status_code == 200 and again.json()["changed"] is False and "Already" in again.json()["note"]
    assert Enterprise.objects.filter(uscc=USCC).count() == 1 and RegisterEvent.objects.count() == 1


def test_an_older_version_arriving_late_changes_nothing(world):
    licence()
    newer = push({"event_id": "chg-3", "uscc": USCC, "kind": "change", "version": 3,
                  "data": {"reg_address": "东莞市南城街道新地址 3 号"}})  # fmt: skip
    assert newer.json()["changed"] is True
    late = push({"event_id": "chg-2", "uscc": USCC, "kind": "change", "version": 2,
                 "data": {"reg_address": "东莞市南城街道旧地址 2 号"}})  # fmt: skip
    assert late.status_code == 200 and late.json()["changed"] is False and "version 3" in late.json()["note"]
    enterprise = Enterprise.objects.get(uscc=USCC)
    assert enterprise.data["reg_address"] == "东莞市南城街道新地址 3 号" and enterprise.register_version == 3
    assert RegisterEvent.objects.get(event_id="chg-2").outcome == "stale"


def test_a_badly_signed_event_changes_nothing(seeded):
    event = {"event_id": "x", "uscc": USCC, "kind": "licence", "version": 1, "established_on": "2014-03-01",
             "sent_at": timezone.now().isoformat(), "data": register_sample()}  # fmt: skip
    raw = json.dumps(event).encode()
    key = Department.objects.get(code="AIC").hmac_secret
    assert push({}, secret="not-the-key", raw=raw).status_code == 403
    tampered = raw.replace(b'"version": 1', b'"version": 9')
    post = Client().post("/api/v1/register/events", tampered, content_type="application/json",
                         HTTP_X_SIGNATURE=sign(key, raw))  # fmt: skip
    assert post.status_code == 403
    unsigned = Client().post("/api/v1/register/events", raw, content_type="application/json")
    assert unsigned.status_code == 403
    assert not RegisterEvent.objects.exists() and not Enterprise.objects.exists()
    assert push({}, raw=raw).status_code == 200  # the same body, rightly signed, is taken


@pytest.mark.parametrize(
    "change, path",
    [
        ({"uscc": "91440300708461136X"}, "uscc"),
        (
            {
                "data": {
                    **{"legal_rep": {"name": "陈志明", "id_type": "resident_id", "id_number": "441900199005151232"}}
                }
            },
            "data.legal_rep.id_number",
        ),
        ({"data": {"name_zh": "某公司\u200b"}}, "data.name_zh"),
        ({"data": {"not_an_item": 1}}, "data.not_an_item"),
        ({"version": 0}, "version"),
        ({"kind": "merger"}, "kind"),
    ],
)
def test_a_refused_event_names_what_is_wrong_and_changes_nothing(seeded, change, path):
    body = {"event_id": "bad-1", "uscc": USCC, "kind": "licence", "version": 1, "established_on": "2014-03-01",
            "data": register_sample()}  # fmt: skip
    data = change.pop("data", None)
    if data is not None:
        body["data"] = {**body["data"], **data}
    answer = push({**body, **change})
    assert answer.status_code == 400, answer.json()
    assert path in answer.json()["errors"], answer.json()
    assert not Enterprise.objects.exists() and not RegisterEvent.objects.exists()


def test_a_licence_without_the_register_items_is_refused(seeded):
    data = register_sample()
    del data["legal_rep"]
    answer = push({"event_id": "l", "uscc": USCC, "kind": "licence", "version": 1, "established_on": "2014-03-01",
                   "data": data})  # fmt: skip
    assert answer.status_code == 400 and "data.legal_rep" in answer.json()["errors"]


def test_its_legal_representative_completes_the_follow_on_filings(world):
    _api, clerks = world
    licence()
    enterprise = Enterprise.objects.get(uscc=USCC)
    from portal.models import User

    founder = User.objects.create_user(username="chen", role="applicant", verified_id_number=LEGAL_REP_ID,
                                       verified_name="陈志明", identity_subject="sub-chen")  # fmt: skip
    api = Api(founder)
    created = api.post("/applications", {"kind": "existing_company", "uscc": USCC})
    assert created.status_code == 201, created.json()
    application_id = created.json()["id"]
    # The register items came from the register; the departments' own items are the founder's to give.
    own = {k: v for k, v in _shipped()["electronics_trader"].items() if k not in register_items()}
    assert api.patch(f"/applications/{application_id}", {"data": own}).status_code == 200
    submitted = api.post(f"/applications/{application_id}/submit")
    assert submitted.status_code == 200, submitted.json()
    approve_everything(clerks, application_id)
    application = Application.objects.get(pk=application_id)
    assert application.state == "completed" and application.enterprise == enterprise
    assert "AIC" not in set(application.filings.values_list("department__code", flat=True))


def test_a_stranger_cannot_claim_it(seeded, outsider):
    licence()
    answer = Api(outsider).post(
        "/applications", {"kind": "existing_company", "uscc": USCC, "id_number": "110101199003070019"}
    )
    assert answer.status_code == 400 and "id_number" in answer.json()["errors"]


def test_a_pushed_change_updates_the_departments_holding_filings(trader):
    address = "东莞市南城街道新基路 8 号"
    answer = push({"event_id": "c-1", "uscc": trader.uscc, "kind": "change", "version": 1,
                   "data": {"reg_address": address}})  # fmt: skip
    assert answer.status_code == 200 and answer.json()["changed"] is True, answer.json()
    trader.refresh_from_db()
    assert trader.data["reg_address"] == address and trader.register_version == 1
    change = Application.objects.get(enterprise=trader, kind="change")
    updated = set(change.filings.filter(kind=FilingKind.UPDATE).values_list("department__code", flat=True))
    assert updated and "AIC" not in updated


def test_a_revocation_shows_at_once_and_reaches_the_departments(trader):
    _institution, key = institution_create(name="东莞农村商业银行", kind="bank", scopes=["verify"])
    owner = Api(trader.owner)
    draft = owner.post(f"/enterprises/{trader.uscc}/archive-copies", {"document": "licence", "department": "STATS"})
    answer = push({"event_id": "r-1", "uscc": trader.uscc, "kind": "revocation", "version": 1,
                   "effective_on": "2026-11-30", "reason": "连续六个月未开业"})  # fmt: skip
    assert answer.status_code == 200 and answer.json()["enterprise"]["status"] == "revoked"
    verified = Client().get(f"/api/v1/verify/{trader.uscc}", {"purpose": "开户"}, HTTP_X_API_KEY=key)
    assert verified.status_code == 200 and verified.json()["status"] == "revoked"
    from registration.models import IssuedDocument

    licence_number = IssuedDocument.objects.filter(enterprise=trader, kind="licence").first().number
    printed = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/verify/{licence_number}/")  # the QR code on the licence
    assert "吊销" in printed.content.decode()  # "Revoked (吊销)"
    notices = Filing.objects.filter(application__enterprise=trader, kind=FilingKind.STATUS_NOTICE)
    told = set(notices.values_list("department__code", flat=True))
    held = {"NTAX", "LTAX", "SI", "CUSTOMS", "CIQ"}
    assert held <= told and "AIC" not in told
    assert all(f.payload["status"] == "revoked" and f.payload["reason"] == "连续六个月未开业" for f in notices)
    assert draft.status_code == 201, draft.json()
    stopped = Application.objects.get(pk=draft.json()["id"])
    assert stopped.state == "withdrawn"  # the open request for a printed copy is stopped, and its owner told
    assert trader.owner.notifications.filter(title="Application stopped").exists() or (
        trader.owner.notifications.filter(title="申请已终止").exists()
    )
    # A clerk reads the notice in the workbench and confirms it; then the notice is done.
    clerk = Department.objects.get(code="NTAX").clerks.exclude(username="market-supervision-feed").first()
    notice = notices.get(department__code="NTAX")
    page = Api(clerk).client.get(f"/workbench/filings/{notice.pk}/")
    assert page.status_code == 200 and "连续六个月未开业" in page.content.decode()
    assert Api(clerk).post(f"/filings/{notice.pk}/approve").status_code == 200
    # Nothing more is filed for it.
    assert owner.post(f"/enterprises/{trader.uscc}/changes", {"data": {"reg_address": "x"}}).status_code in (400, 409)


def test_a_status_event_for_an_unknown_code_is_refused(seeded):
    answer = push({"event_id": "u", "uscc": USCC, "kind": "cancellation", "version": 1})
    assert answer.status_code == 400 and "uscc" in answer.json()["errors"]


def test_the_enterprise_sees_a_refused_claim(seeded, outsider):
    licence()
    refused = Api(outsider).post(
        "/applications", {"kind": "existing_company", "uscc": USCC, "id_number": "110101199003070019"}
    )
    assert refused.status_code == 400
    from portal.models import User

    legal_rep = User.objects.create_user(username="chen", role="applicant", verified_id_number=LEGAL_REP_ID,
                                         verified_name="陈志明", identity_subject="sub-chen")  # fmt: skip
    client = Client()
    client.force_login(legal_rep)
    page = client.get(f"/enterprises/{USCC}/")
    assert page.status_code == 200
    assert 'id="claims-refused"' in page.content.decode() and outsider.full_name in page.content.decode()
    # The stranger sees nothing of it.
    stranger = Client()
    stranger.force_login(outsider)
    assert stranger.get(f"/enterprises/{USCC}/").status_code == 404


# --- Bulk load -------------------------------------------------------------------------------------------------


def _rows(count: int) -> list[dict]:
    from registration.demo_register import demo_register_rows

    return list(demo_register_rows(count=count, seed=7))


def test_an_import_loads_the_good_rows_reports_the_bad_and_a_rerun_adds_nothing(seeded, tmp_path):
    from django.core.management import call_command

    rows = _rows(30)
    rows[3]["uscc"] = rows[3]["uscc"][:-1] + ("0" if rows[3]["uscc"][-1] != "0" else "1")  # wrong check character
    rows[7]["legal_rep"] = {**rows[7]["legal_rep"], "id_number": "449900199005150017"}  # no such region
    rows[11]["established_on"] = "2015-02-30"
    path = tmp_path / "register.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in rows] + ["{not json"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = tmp_path / "refused.csv"

    call_command("import_register", str(path), report=report, quiet=True)
    assert Enterprise.objects.count() == 27
    refused = report.read_text(encoding="utf-8")
    assert "uscc" in refused and "legal_rep.id_number" in refused and "established_on" in refused
    assert len(refused.strip().splitlines()) == 1 + 4  # header + 3 bad rows + the unreadable line
    loaded = Enterprise.objects.get(uscc=rows[0]["uscc"])
    assert loaded.register_version == rows[0]["version"] and loaded.owner is None
    assert loaded.data["legal_rep"]["id_number"] == rows[0]["legal_rep"]["id_number"]

    call_command("import_register", str(path), report=report, quiet=True)
    assert Enterprise.objects.count() == 27


def test_an_import_reads_csv_with_dotted_columns_in_any_spelling(seeded, tmp_path):
    import csv

    from django.core.management import call_command

    row = _rows(1)[0]
    flat = {k: v for k, v in row.items() if not isinstance(v, dict | list)}
    for role in ("legal_rep", "liaison", "tax_agent", "finance_officer"):
        for key, value in row[role].items():
            flat[f"{role}.{key}"] = value
    for index, investor in enumerate(row["investors"]):
        for key, value in investor.items():
            flat[f"investors.{index}.{key}"] = value
    flat["uscc"] = " ".join(row["uscc"].lower())  # spaced and in lower case, as typed into a spreadsheet
    flat["import_export"] = "true" if row["import_export"] else "false"
    path = tmp_path / "register.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(flat))
        writer.writeheader()
        writer.writerow(flat)
    call_command("import_register", str(path), report=tmp_path / "r.csv", quiet=True)
    enterprise = Enterprise.objects.get(uscc=row["uscc"])
    assert enterprise.data["investors"][0]["id_number"] == row["investors"][0]["id_number"]


def test_the_sandbox_plays_market_supervision(seeded, monkeypatch):
    from django.core.management import call_command

    import registration.management.commands.register_event as command

    def post(url, data, headers, timeout):
        answer = Client().post(
            "/api/v1/register/events", data, content_type="application/json", HTTP_X_SIGNATURE=headers["X-Signature"]
        )
        return type("Answer", (), {"status_code": answer.status_code, "text": answer.content.decode()})

    monkeypatch.setattr(command.requests, "post", post)
    call_command("register_event", "licence")
    enterprise = Enterprise.objects.get()
    assert enterprise.register_version == 1
    call_command("register_event", "revocation", enterprise.uscc, "--reason", "连续六个月未开业")
    enterprise.refresh_from_db()
    assert (enterprise.status, enterprise.register_version) == ("revoked", 2)


def test_the_home_page_lists_the_enterprises_a_verified_founder_represents(seeded):
    licence()
    from portal.models import User

    legal_rep = User.objects.create_user(username="chen", role="applicant", verified_id_number=LEGAL_REP_ID,
                                         verified_name="陈志明", identity_subject="sub-chen")  # fmt: skip
    client = Client()
    client.force_login(legal_rep)
    assert f"/enterprises/{USCC}/" in client.get("/").content.decode()
