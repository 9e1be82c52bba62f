"""What the API fuzz test (tests/test_api_fuzz.py) runs against and feeds Schemathesis: a realistic portal and
its callers' credentials, real ids and codes as fuzz dictionaries, real application data with fuzzed items, raw
number literals, and the summaries it prints."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import traceback
from collections import Counter
from dataclasses import dataclass
from urllib.parse import unquote

from django.test import Client
from django.utils import timezone
from hypothesis import strategies as st

from departments.decisions import correction_items_offered
from departments.models import Department, Filing
from forms_engine.models import DataItem
from portal.models import User
from registration.identifiers import uscc_generate
from registration.models import Application, Enterprise, Todo
from registration.verification import institution_create
from tests.conftest import PASSWORD, ROOT, second_factor_code
from tests.forms_fixtures import sample
from tests.workflow import Api, all_by_clerk_queue, completed_trader, filing, make_clerks

FILING_STATES = ["waiting", "queued", "dispatched", "approved", "rejected", "correction_requested", "failed"]
DRAFT_NAME = "东莞市草稿科技有限公司"


@dataclass
class World:
    """The callers' headers and the real values generation mixes in."""

    headers: dict[str, dict[str, str]]  # persona -> headers that authenticate it
    usernames: list[str]
    application_ids: list[int]
    filing_ids: list[int]
    filing_departments: dict[int, str]  # filing id -> department code
    todo_ids: list[int]
    usccs: list[str]
    department_codes: list[str]
    hmac_secrets: dict[str, str]  # department code -> callback signing key
    item_keys: list[str]
    correctable_items: list[str]  # what NTAX's clerk may send back for correction
    item_groups: list[list[str]]  # items sent together: what a todo needs, what an application may still change
    examples: dict  # real values for the schema's examples: "parameter name" or "METHOD /path" (a body's) -> values
    id_numbers: list[str]
    names: list[str]
    cursors: list[str]
    samples: list[dict]


def _ok(response, status: int = 200):
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.json() if response.content else None


def _token(user: User) -> str:
    body = json.dumps({"username": user.username, "password": PASSWORD, "otp": second_factor_code(user) or ""})
    return _ok(Client().post("/api/v1/auth/token", body, content_type="application/json"))["token"]


def _submitted(api: Api, sample_name: str, name_zh: str) -> int:
    data = {**sample(sample_name), "name_zh": name_zh}
    application_id = _ok(api.post("/applications", {"kind": "new_company", "data": data}), 201)["id"]
    _ok(api.post(f"/applications/{application_id}/submit"))
    return application_id


def _next_cursor(path: str, authorization: str) -> str | None:
    response = Client().get(f"/api/v1{path}", {"page_size": 2}, HTTP_AUTHORIZATION=authorization)
    _ok(response)
    found = re.search(r"[?&]cursor=([^&>]+)", response.headers.get("Link", ""))
    return unquote(found.group(1)) if found else None


def build(*, applicant: User, outsider: User, clerk: User, auditor: User) -> World:
    """The applicant's licensed trader (every department approved) with an approved change (update filings, todos
    for three new obligations); a hotel licensed and with the departments, NTAX asking for a correction; companies
    licensed (LTAX's delivery failed, NTAX yet to decide), waiting for AIC and refused by AIC; a draft, a withdrawn
    draft; another applicant's draft; an institution's key and one verification. Departments decide in the
    workbench (no HTTP delivery) and every department has a callback signing key."""
    all_by_clerk_queue()
    for department in Department.objects.filter(hmac_secret=""):
        department.hmac_secret = f"fuzz-secret-{department.code.lower()}"
        department.save(update_fields=["hmac_secret"])
    clerks = make_clerks()
    api, aic = Api(applicant), Api(clerks["AIC"])

    trader = completed_trader(api, clerks)
    scope = trader.data["business_scope"] + "；餐饮服务；酒店住宿"
    address = "东莞市东城街道东纵大道东城万达广场3号楼1808室"
    change = {"data": {"business_scope": scope, "op_address": address}}
    change = _ok(api.post(f"/enterprises/{trader.uscc}/changes", change), 201)
    _ok(aic.post(f"/filings/{filing(change['id'], 'AIC').pk}/approve"))

    hotel = _submitted(api, "restaurant_hotel", sample("restaurant_hotel")["name_zh"])
    _ok(aic.post(f"/filings/{filing(hotel, 'AIC').pk}/approve"))
    correction = {"items": ["accounting_standard"], "reason": "请按企业会计准则填报"}
    _ok(Api(clerk).post(f"/filings/{filing(hotel, 'NTAX').pk}/request-correction", correction))

    licensed = _submitted(api, "electronics_trader", "东莞市明德电子贸易有限公司")
    _ok(aic.post(f"/filings/{filing(licensed, 'AIC').pk}/approve"))  # NTAX's registration filing is dispatched
    Filing.objects.filter(pk=filing(licensed, "LTAX").pk).update(state="failed", attempts=5)
    _submitted(api, "restaurant_hotel", "东莞市悦来餐饮管理有限公司")
    refused = _submitted(api, "electronics_trader", "东莞市恒通电子贸易有限公司")
    _ok(aic.post(f"/filings/{filing(refused, 'AIC').pk}/reject", {"reason": "经营范围表述不规范"}))

    draft = _ok(api.post("/applications", {"kind": "new_company", "data": {"name_zh": DRAFT_NAME}}), 201)["id"]
    withdrawn = _ok(api.post("/applications", {"kind": "new_company", "data": {}}), 201)["id"]
    _ok(api.post(f"/applications/{withdrawn}/withdraw"))
    others = {"kind": "new_company", "data": {"name_zh": "东莞市别人贸易有限公司"}}
    _ok(Api(outsider).post("/applications", others), 201)

    _institution, key = institution_create(name="东莞农村商业银行", kind="bank", scopes=["verify"])
    verified = Client().get(f"/api/v1/verify/{trader.uscc}", {"purpose": "开立基本存款账户"}, HTTP_X_API_KEY=key)
    assert verified.status_code == 200, verified.content

    headers = {
        "applicant": {"Authorization": f"Token {_token(applicant)}"},
        "clerk": {"Authorization": f"Token {_token(clerk)}"},
        "auditor": {"Authorization": f"Token {_token(auditor)}"},
        "institution": {"X-Api-Key": key},
        "anonymous": {},
    }
    cursors = [
        _next_cursor("/filings", headers["auditor"]["Authorization"]),
        _next_cursor("/applications", headers["applicant"]["Authorization"]),
    ]
    usccs = list(Enterprise.objects.order_by("id").values_list("uscc", flat=True))
    ntax_filings = list(Filing.objects.filter(department__code="NTAX").order_by("id"))
    editable = Application.objects.filter(applicant=applicant, state__in=["draft", "correction_requested"])
    ntax_open = next(f for f in ntax_filings if f.state == "dispatched" and f.kind == "registration")
    todo = Todo.objects.order_by("id").first()
    legal_rep = trader.data["legal_rep"]["id_number"]
    now = timezone.now().isoformat()
    examples = {
        # Path and query parameters: a value the callers can act on.
        "application_id": draft,
        "id": trader.applications.order_by("id").first().pk,
        "kind": "licence",
        "filing_id": ntax_open.pk,
        "todo_id": todo.pk,
        "uscc": trader.uscc,
        "code": "NTAX",
        "department": "NTAX",
        "state": "dispatched",
        "purpose": "开立基本存款账户",
        "updated_since": "2024-05-06T08:00:00+08:00",
        # Request bodies (a raw literal in each that stores data: see RAW_LITERALS).
        "POST /api/v1/applications": [
            {"kind": "new_company", "data": {**sample("electronics_trader"), "name_zh": "东莞市示例电子贸易有限公司"}},
            {"kind": "new_company", "data": {**sample("restaurant_hotel"), "employee_count": _RAW + "1e400"}},
            {"kind": "existing_company", "uscc": trader.uscc, "id_number": legal_rep},
        ],
        "PATCH /api/v1/applications/{application_id}": [
            {"data": {"phone": "0769-22112345", "employee_count": 12}},
            {"data": {"phone": "0769-22112345", "floor_area": _RAW + "-1e400"}},
        ],
        "POST /api/v1/enterprises/{uscc}/changes": [
            {"data": {"phone": "0769-22119999"}},
            {"data": {"employee_count": _RAW + "1e400"}},
        ],
        "POST /api/v1/enterprises/{uscc}/todos/{todo_id}": [
            {"data": {k: sample("restaurant_hotel")[k] for k in todo.needed_items if k in sample("restaurant_hotel")}},
        ],
        "POST /api/v1/enterprises/{uscc}/archive-copies": [
            {"document": "licence", "department": "STATS", "copies": 2, "delivery": "post", "postal_address": "东莞市"},
        ],
        "POST /api/v1/filings/{filing_id}/approve": [{"reference_no": "NTAX-2024-0001", "note": "准予登记"}],
        "POST /api/v1/filings/{filing_id}/reject": [{"reason": "材料不齐"}],
        "POST /api/v1/filings/{filing_id}/request-correction": [
            {"items": correction_items_offered(ntax_open)[:2], "reason": "请补正"}
        ],
        "POST /api/v1/departments/{code}/callback": [
            {"filing_id": ntax_open.pk, "round": ntax_open.round, "sent_at": now, "decision": "approved"},
            {"filing_id": ntax_open.pk, "round": ntax_open.round, "sent_at": now, "decision": "correction_requested",
             "reason": "请补正", "items": correction_items_offered(ntax_open)[:1]},
        ],
        "POST /api/v1/name-check": [{"name_zh": "东莞市华信电子贸易有限公司", "entity_type": "llc_natural_controlled"}],
        "POST /api/v1/auth/token": [{"username": applicant.username, "password": PASSWORD}],
    }  # fmt: skip
    return World(
        headers=headers,
        examples=examples,
        usernames=[applicant.username, clerk.username, auditor.username, "nobody"],
        # The applications the applicant may still edit come up more often; and an id nobody has.
        application_ids=sorted(Application.objects.values_list("id", flat=True))
        + 4 * sorted(editable.values_list("id", flat=True))
        + [draft + 10_000],
        # NTAX's clerk acts on NTAX's filings: those come up more often.
        filing_ids=sorted(Filing.objects.values_list("id", flat=True)) + 3 * [f.pk for f in ntax_filings],
        filing_departments=dict(Filing.objects.values_list("id", "department__code")),
        todo_ids=sorted(Todo.objects.values_list("id", flat=True)),
        # Real codes; a valid one nobody holds; lower case; a wrong check character.
        usccs=[*usccs, uscc_generate(), usccs[0].lower(), usccs[0][:-1] + ("1" if usccs[0][-1] == "0" else "0")],
        department_codes=sorted(Department.objects.values_list("code", flat=True)),
        hmac_secrets=dict(Department.objects.values_list("code", "hmac_secret")),
        item_keys=sorted(DataItem.objects.values_list("key", flat=True)),
        correctable_items=sorted({key for f in ntax_filings for key in correction_items_offered(f)}),
        item_groups=[
            *(todo.needed_items for todo in Todo.objects.order_by("id") if todo.needed_items),
            *(items for a in editable if (items := _ok(api.get(f"/applications/{a.pk}"))["editable_items"])),
        ],
        id_numbers=[trader.data["legal_rep"]["id_number"], trader.data["liaison"]["id_number"], "441900199001011234"],
        names=[sample("electronics_trader")["name_zh"], sample("restaurant_hotel")["name_zh"], DRAFT_NAME],
        cursors=[c for c in cursors if c],
        samples=[sample("electronics_trader"), sample("restaurant_hotel")],
    )


def schemathesis_config(world: World, max_examples: int, per_operation: dict[str, int], seed: int) -> dict:
    """Schemathesis configuration (the keys of schemathesis.toml): deterministic generation, the number of fuzzed
    examples (in general and per operation path), and real values mixed into generated parameters and bodies
    with the given probabilities (fuzz dictionaries bound to parameters)."""
    now = timezone.now()
    dictionaries = {
        "application_ids": world.application_ids,
        "filing_ids": world.filing_ids,
        "todo_ids": world.todo_ids or [1],
        "usccs": world.usccs,
        "codes": [*world.department_codes, world.department_codes[0].lower()],
        "document_kinds": ["licence", "receipt"],
        "filing_states": FILING_STATES,
        "cursors": world.cursors or ["cD0x"],
        "times": [(now - dt.timedelta(days=d)).isoformat() for d in (0, 1, 365)] + ["2024-05-06", "2024-05-06T08:00"],
        "sent_at": [(now - dt.timedelta(seconds=s)).isoformat() for s in (1, 30)],
        "rounds": [1, 2],
        # NTAX's clerk may send back the items NTAX's forms read: those come up more often.
        "item_keys": world.item_keys + 4 * world.correctable_items,
        "id_numbers": world.id_numbers,
        "names": world.names,
        "purposes": ["开立基本存款账户", "贷款审批", "x" * 201],
        "usernames": world.usernames,
        "passwords": [PASSWORD, "wrong"],
    }

    def bind(name: str, probability: float = 0.5) -> dict:
        return {"dictionary": name, "probability": probability}

    parameters = {
        "path.application_id": bind("application_ids", 0.6),
        "path.id": bind("application_ids", 0.6),
        "path.kind": bind("document_kinds", 0.7),
        "path.filing_id": bind("filing_ids", 0.6),
        "path.todo_id": bind("todo_ids", 0.6),
        "path.uscc": bind("usccs", 0.6),
        "path.code": bind("codes", 0.6),
        "query.department": bind("codes"),
        "query.state": bind("filing_states"),
        "query.cursor": bind("cursors", 0.3),
        "query.updated_since": bind("times"),
        "query.purpose": bind("purposes", 0.6),
        "body.filing_id": bind("filing_ids", 0.6),
        "body.uscc": bind("usccs", 0.6),
        "body.department": bind("codes", 0.6),
        "body.document": bind("document_kinds", 0.6),
        "body.sent_at": bind("sent_at", 0.6),
        "body.round": bind("rounds", 0.6),
        "body.items[*]": bind("item_keys", 0.6),
        "body.name_zh": bind("names", 0.3),
        "body.id_number": bind("id_numbers", 0.6),
        "body.username": bind("usernames", 0.6),
        "body.password": bind("passwords", 0.6),
    }
    generation = {"deterministic": True, "database": "none"}
    return {
        "seed": seed,
        "dictionaries": {name: {"values": values} for name, values in dictionaries.items()},
        "parameters": parameters,
        "generation": {**generation, "max-examples": max_examples},
        "operations": [
            {"include-path": path, "generation": {**generation, "max-examples": n}} for path, n in per_operation.items()
        ],
    }


def add_examples(raw_schema: dict, examples: dict) -> None:
    """Put real values into the schema as examples (Schemathesis' examples phase sends them every run): each
    parameter named in `examples` gets its value, each operation's request body its list of bodies."""
    for path, operations in raw_schema.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") in ("path", "query") and parameter.get("name") in examples:
                    parameter["example"] = examples[parameter["name"]]
            bodies = examples.get(f"{method.upper()} {path}")
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if bodies and content is not None:
                content["examples"] = {f"real{i}": {"value": body} for i, body in enumerate(bodies)}


# --- Request bodies ------------------------------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=6,
)
_DROP = object()


def _paths(data: dict) -> list[tuple]:
    """Where a value can be replaced: every item, the fields of person objects, list entries and their fields."""
    paths: list[tuple] = []
    for key, value in data.items():
        paths.append((key,))
        if isinstance(value, dict):
            paths += [(key, sub) for sub in value]
        elif isinstance(value, list):
            for i, entry in enumerate(value[:2]):
                paths.append((key, i))
                if isinstance(entry, dict):
                    paths += [(key, i, sub) for sub in entry]
    return paths


def _replace(data, changes: list[tuple[tuple, object]]):
    data = json.loads(json.dumps(data))
    for path, value in changes:
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        if value is _DROP:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
    return data


def realistic_data(world: World) -> st.SearchStrategy[dict]:
    """Real application data: a whole sample application with a few items, person fields or list entries
    replaced by any JSON value (or dropped), or a few real items (as a change, a correction or a todo sends), maybe
    with a data item or two set to any JSON value."""

    def mutated(base: dict) -> st.SearchStrategy[dict]:
        # At most one change per item, so that no change lands under an item another one dropped.
        change = st.tuples(st.sampled_from(_paths(base)), st.one_of(_JSON, st.just(_DROP)))
        return st.lists(change, max_size=3, unique_by=lambda c: c[0][0]).map(lambda cs: _replace(base, cs))

    def subset(base: dict) -> st.SearchStrategy[dict]:
        keys = st.lists(st.sampled_from(sorted(base)), min_size=1, max_size=4, unique=True)
        return keys.map(lambda ks: {k: base[k] for k in ks})

    def group(keys: list[str]) -> dict:
        # A todo's or a correction's items, with the values the sample applications have for them.
        values = {k: v for s in reversed(world.samples) for k, v in s.items()}
        return {k: values[k] for k in keys if k in values}

    samples = st.sampled_from(world.samples)
    any_items = st.dictionaries(st.sampled_from(world.item_keys or ["name_zh"]), _JSON, max_size=2)
    some_items = st.tuples(samples.flatmap(subset), st.one_of(st.just({}), any_items))
    branches = [samples.flatmap(mutated), some_items.map(lambda t: {**t[0], **t[1]})]
    if world.item_groups:
        groups = st.sampled_from(world.item_groups).map(group)
        branches.append(groups.flatmap(lambda g: st.one_of(st.just(g), mutated(g)) if g else st.just(g)))
    return st.one_of(branches)


# JSON number literals no generated (Python) value serialises to, sent as they are: beyond a double's range.
RAW_LITERALS = ["1e400", "-1e400"]
# Marks a raw literal in a generated body: a private-use character, never in generated text (JSON: "\ue000").
_RAW = "\ue000raw:"


def _leaf_paths(value, prefix: tuple = (), depth: int = 0) -> list[tuple]:
    paths = [prefix] if prefix else []
    if depth < 4 and isinstance(value, dict):
        for key, sub in value.items():
            paths += _leaf_paths(sub, (*prefix, key), depth + 1)
    elif depth < 4 and isinstance(value, list):
        for i, sub in enumerate(value[:3]):
            paths += _leaf_paths(sub, (*prefix, i), depth + 1)
    return paths


def with_raw_literal(body) -> st.SearchStrategy:
    """The body with one value replaced by the marker of a raw number literal (see `raw_body`): a value in its
    `data` object (what the portal stores) if it has one, else anywhere."""
    data = body.get("data") if isinstance(body, dict) else None
    paths = [("data", *path) for path in _leaf_paths(data)] if isinstance(data, (dict, list)) else []
    paths = paths or _leaf_paths(body)
    if not paths:
        return st.just(body)
    return st.tuples(st.sampled_from(paths), st.sampled_from(RAW_LITERALS)).map(
        lambda change: _replace(body, [(change[0], _RAW + change[1])])
    )


def raw_body(body) -> bytes | None:
    """The exact bytes of a JSON body with raw literals in it (each marker replaced by its literal), or None if it
    has none (Schemathesis serialises it as usual)."""
    try:
        text = json.dumps(body)
    except (TypeError, ValueError):
        return None
    if "\\ue000raw:" not in text:
        return None
    return re.sub(r'"\\ue000raw:([^"]*)"', r"\1", text).encode()


def json_bytes(body) -> bytes | None:
    """The exact bytes of a JSON body (raw literals put in), or None if it is not JSON."""
    raw = raw_body(body)
    if raw is not None:
        return raw
    try:
        return json.dumps(body).encode()
    except (TypeError, ValueError):
        return None


# A JSON body sent under another media type than the schema's: a form, multipart (parsed by Django itself, from the
# stream), plain text, JSON in other charsets or an unknown one.
OTHER_CONTENT_TYPES = [
    "multipart/form-data; boundary=fuzz",
    "application/x-www-form-urlencoded",
    "text/plain",
    "application/json; charset=latin-1",
    "application/json; charset=utf-16",
    "application/json; charset=unknown-8",
]


def with_other_content_type(headers: dict | None) -> st.SearchStrategy[dict]:
    return st.sampled_from(OTHER_CONTENT_TYPES).map(lambda media_type: {**(headers or {}), "Content-Type": media_type})


# --- Reporting -----------------------------------------------------------------------------------------------


def traceback_summary() -> str:
    """The exception being handled: the frames in the project's own code, and the exception itself."""
    exc_type, exc, tb = sys.exc_info()
    frames = [
        f"  {frame.filename.removeprefix(str(ROOT) + '/')}:{frame.lineno} in {frame.name}: {frame.line}"
        for frame in traceback.extract_tb(tb)
        if frame.filename.startswith(str(ROOT)) and "/.venv/" not in frame.filename
    ]
    return "\n".join([*frames, *traceback.format_exception_only(exc_type, exc)]).rstrip()


def note_conformance(case, response, headers, persona: str, findings: dict) -> None:
    """Record (never assert) where an answer disagrees with the schema: status code, content type, body."""
    from schemathesis.core.failures import FailureGroup
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [status_code_conformance, content_type_conformance, response_schema_conformance]
    try:
        case.validate_response(response, checks=checks, headers=headers)
    except (AssertionError, FailureGroup) as exc:  # one failure, or several
        for failure in getattr(exc, "exceptions", [exc]):
            title = getattr(failure, "title", type(failure).__name__)
            message = str(getattr(failure, "message", failure)).splitlines()[0][:160]
            key = (f"{case.operation.method.upper()} {case.operation.path}", response.status_code, title, message)
            findings.setdefault(key, Counter())[persona] += 1


def phase_of(case) -> str:
    meta = getattr(case, "_meta", None)  # Schemathesis' generation metadata (for the summary only)
    return str(meta.phase.name) if meta is not None else "explicit"


def summarise_statuses(statuses: Counter) -> list[str]:
    """Answers per operation, all callers together; requests with another method than the operation's (from the
    coverage phase) in one line."""
    by_operation: dict[str, Counter] = {}
    for (_persona, label, status), n in statuses.items():
        by_operation.setdefault(label, Counter())[status] += n
    lines = [f"  {label}: {dict(sorted(c.items()))}" for label, c in sorted(by_operation.items()) if label[0] != "("]
    other = by_operation.get("(other methods)")
    return [*lines, f"  (other methods): {dict(sorted(other.items()))}"] if other else lines


def summarise_findings(findings: dict) -> list[str]:
    """Status codes the schema does not document: one line per operation; every other finding on its own line."""
    undocumented: dict[str, set] = {}
    other = []
    for (label, status, title, message), personas in sorted(findings.items()):
        if title == "Undocumented status code":
            undocumented.setdefault(label, set()).add(status)
        else:
            other.append(f"  {label} -> {status}: {title}: {message} {dict(personas)}")
    if not undocumented and not other:
        return ["Schema conformance: no findings."]
    lines = ["Schema conformance (reported, not asserted):", *other]
    if undocumented:
        lines.append("  Answered with status codes the schema does not document:")
        lines += [f"    {label}: {sorted(codes)}" for label, codes in sorted(undocumented.items())]
    return lines
