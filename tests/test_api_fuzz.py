"""Property-based test of the whole public API (docs/CONTRACT.md "API basics": "Never a 500 for any input").

Schemathesis loads the OpenAPI schema the portal serves at `/api/schema/` through the WSGI app (in-process) and
tests every operation in it: the schema's examples (real values put in, see below), the coverage phase's boundary
and invalid values, and Hypothesis fuzzing, valid and invalid. Each request goes to `portal.wsgi.application` as
one of five callers, each its own test: an applicant, a clerk of NTAX and an auditor (each `Authorization: Token
<key>` from `POST /api/v1/auth/token`), an institution (`X-Api-Key`, scope `verify`) and anonymous, who also plays
the department system and signs its callbacks with the department's key. No answer may be a 5xx
(`not_a_server_error`); where answers disagree with the schema is printed at the end, not asserted.

The database is a realistic portal (tests/fuzz_data.py): a licensed enterprise with a completed registration, an
approved change and its todos, companies in progress, waiting, refused, drafts, another applicant's draft. Their
real ids, USCCs and department codes are mixed into generated parameters and bodies (Schemathesis fuzz
dictionaries) and put into the schema as examples; `data` objects are sometimes real application data with fuzzed
items. Beyond what Schemathesis generates, some JSON bodies carry a number literal beyond a double's range
(`1e400`; printed as "\\ue000raw:1e400" in a generated body, the exact bytes sent follow the failure) and some are
sent under another media type than JSON.

Every request runs in a savepoint that is rolled back and with the per-process caches cleared, so each case sees
the same state and a failure replays and shrinks; generation is derandomised, so CI runs the same cases each time.
API_FUZZ_EXAMPLES=n (fuzzed examples per operation for every caller) and API_FUZZ_SEED=s make a longer or a
different local run.
"""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup

from departments.adapters.http import sign
from portal.wsgi import application
from registration import verification
from tests import fuzz_data

pytestmark = pytest.mark.django_db

PERSONAS = ["applicant", "clerk", "auditor", "institution", "anonymous"]
# Fuzzed examples per operation for each caller (the coverage and examples phases add ~880 fixed cases per caller).
# Most operations answer an institution 401 at once; the applicant owns most of the data.
EXAMPLES = {"applicant": 50, "clerk": 30, "auditor": 20, "institution": 12, "anonymous": 25}
if os.environ.get("API_FUZZ_EXAMPLES"):
    EXAMPLES = dict.fromkeys(EXAMPLES, int(os.environ["API_FUZZ_EXAMPLES"]))
SEED = int(os.environ.get("API_FUZZ_SEED", "20240506"))
# More for each caller's own business (where the data it may change is), fewer PDFs (slow to render).
OPERATION_EXAMPLES = {
    "applicant": {
        "/api/v1/applications": 100,
        "/api/v1/applications/{application_id}": 100,
        "/api/v1/enterprises/{uscc}/changes": 80,
        "/api/v1/enterprises/{uscc}/todos/{todo_id}": 80,
        "/api/v1/applications/{id}/documents/{kind}.pdf": 10,
    },
    "clerk": {
        "/api/v1/filings/{filing_id}/approve": 60,
        "/api/v1/filings/{filing_id}/reject": 60,
        "/api/v1/filings/{filing_id}/request-correction": 60,
    },
    "institution": {"/api/v1/verify/{uscc}": 80},
    "anonymous": {"/api/v1/departments/{code}/callback": 80},  # the department system, signing
}
# The least number of requests each caller's run must have made, so that the test cannot silently test nothing
# (e.g. if the schema stopped loading its operations or generation stopped reaching the app).
MIN_CASES_PER_PERSONA = 500

CASES: Counter = Counter()  # (persona, "METHOD /path") -> requests sent
STATUSES: Counter = Counter()  # (persona, "METHOD /path", status) -> responses
PHASES: Counter = Counter()  # Schemathesis phase (examples, coverage, fuzzing) -> requests
FINDINGS: dict = {}  # schema conformance problems: reported, not asserted


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    # Schemathesis' lazy schemas (4.x up to at least 4.32) read and rewrite `item._nodeid` to name the operation
    # being run; pytest 9.2 keeps the id elsewhere. Give them the attribute (the reported node id is unchanged).
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture(params=PERSONAS)
def persona(request) -> str:
    return request.param


@pytest.fixture
def world(seeded, applicant, outsider, clerk, auditor, settings) -> fuzz_data.World:
    settings.VERIFY_RATE = "100000/min"  # throttling is tested elsewhere; here it would hide the code behind it
    cache.clear()
    return fuzz_data.build(applicant=applicant, outsider=outsider, clerk=clerk, auditor=auditor)


@pytest.fixture
def in_process():
    """Requests reach the WSGI app directly, not through Django's test client: like the client, keep the request
    signals from closing the test's connection (which holds the test transaction), and keep the traceback of any
    exception the app turns into a 500."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    errors: list[str] = []

    def keep(sender, request=None, **kwargs):
        errors.append(fuzz_data.traceback_summary())

    got_request_exception.connect(keep, weak=False)
    try:
        yield errors
    finally:
        verification._key_cache.clear()  # nothing this test's (rolled back) institution and enterprises left
        verification._facts_cache.clear()
        got_request_exception.disconnect(keep)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(request, world, persona, in_process):
    """The schema the portal serves, loaded through the WSGI app, with this caller's generation settings."""
    config = fuzz_data.schemathesis_config(world, EXAMPLES[persona], OPERATION_EXAMPLES.get(persona, {}), SEED)
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=SchemathesisConfig.from_dict(config))
    fuzz_data.add_examples(schema.raw_schema, world.examples)

    @schema.hook
    def flatmap_body(context, body):
        strategy = st.just(body)
        if isinstance(body, dict) and isinstance(body.get("data"), dict):
            # A free-form `data` object is mostly random keys: sometimes make it real data with fuzzed items.
            realistic = fuzz_data.realistic_data(world).map(lambda data: {**body, "data": data})
            strategy = st.one_of(strategy, realistic)
        if isinstance(body, (dict, list)):
            # One JSON body in three carries a number literal that no generated value serialises to.
            strategy = st.one_of(strategy, strategy, strategy.flatmap(fuzz_data.with_raw_literal))
        return strategy

    @schema.hook
    def flatmap_headers(context, headers):
        if context.operation is None or not context.operation.body:
            return st.just(headers)
        # One request with a body in six declares another media type than the schema's (the body stays JSON).
        plain = st.just(headers)
        return st.one_of(plain, plain, plain, plain, plain, fuzz_data.with_other_content_type(headers))

    yield schema
    if request.session.shouldfail or request.session.shouldstop:
        return  # the run was cut short (`-x` after a failure): the count says nothing
    sent = sum(n for (who, _label), n in CASES.items() if who == persona)
    assert sent >= MIN_CASES_PER_PERSONA, f"only {sent} requests were sent as {persona}"


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck), print_blob=False)
def test_no_request_gets_a_server_error(case, persona, world, in_process):
    label = f"{case.operation.method.upper()} {case.operation.path}"
    if case.method.upper() != case.operation.method.upper():
        label = "(other methods)"  # the coverage phase also tries the methods an operation does not have
    headers = dict(world.headers[persona])
    kwargs = {}
    raw = fuzz_data.raw_body(case.body)
    if raw is not None:
        kwargs["data"] = raw  # the exact bytes, raw number literal included
    if persona == "anonymous" and case.operation.path.endswith("/callback"):
        # The department system: it reports on its own filings (a real filing id in the body is sent to that
        # department's endpoint) and signs the exact body with its key.
        body = case.body if isinstance(case.body, dict) else {}
        owner = world.filing_departments.get(body.get("filing_id")) if isinstance(body.get("filing_id"), int) else None
        if owner:
            case.path_parameters = {**case.path_parameters, "code": owner}
        secret = world.hmac_secrets.get(str(case.path_parameters.get("code", "")).upper())
        raw = fuzz_data.json_bytes(case.body)
        if secret and raw is not None:
            headers["X-Signature"] = sign(secret, raw)
            kwargs["data"] = raw
    verification._key_cache.clear()  # per-process caches: every case starts from the same state
    verification._facts_cache.clear()
    in_process.clear()
    CASES[(persona, label)] += 1
    PHASES[fuzz_data.phase_of(case)] += 1
    sid = transaction.savepoint()
    try:
        response = case.call(headers=headers, **kwargs)
    finally:
        transaction.savepoint_rollback(sid)
    STATUSES[(persona, label, response.status_code)] += 1
    try:
        case.validate_response(response, checks=[not_a_server_error], headers=headers)
    except (AssertionError, FailureGroup) as exc:
        exc.add_note(f"Caller: {persona}")
        if "data" in kwargs:
            exc.add_note(f"Body sent (exactly these bytes): {kwargs['data'].decode(errors='replace')[:3000]}")
        if in_process:
            exc.add_note(f"Server traceback (the portal's frames):\n{in_process[-1]}")
        raise
    if label != "(other methods)":
        fuzz_data.note_conformance(case, response, headers, persona, FINDINGS)


@pytest.fixture(scope="module", autouse=True)
def _summary(request):
    """After the module: how many requests ran, by caller, phase and answer, and the conformance findings."""
    started = time.monotonic()
    yield
    if not CASES:
        return
    by_persona: Counter = Counter()
    for (persona, _label), n in CASES.items():
        by_persona[persona] += n
    lines = [
        f"API fuzz: {sum(CASES.values())} requests in {time.monotonic() - started:.0f} s; "
        f"by caller {dict(by_persona)}; by phase {dict(PHASES)}",
        "Answers by operation (all callers):",
        *fuzz_data.summarise_statuses(STATUSES),
        *fuzz_data.summarise_findings(FINDINGS),
    ]
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n" + "\n".join(lines))
