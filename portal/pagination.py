"""Lists that are complete across pages (docs/CONTRACT.md "API basics", "Lists").

The API answers a JSON array of at most `page_size` items; the next page's URL is in `Link: <url>; rel="next"` and
the number of matching items in `X-Total-Count`. Pages follow a cursor on the primary key (DRF's
`CursorPagination`): an item added between two fetches lands after every cursor already handed out, so a client
walking the `Link` chain never skips or repeats one. Pages for people use Django's `Paginator` (`page_of`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from .calendar import BEIJING  # a time without an offset is Beijing time, whatever the server's zone
from .errors import PortalError

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
# A cursor position past a 64-bit key would overflow the database adapter (a 500), not match nothing.
_MAX_ID = 2**63 - 1
# "…T08:00:00 08:00": a `+` sent unencoded in a query string arrives as a space.
_SPACE_FOR_PLUS = re.compile(r"^(.*[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?) ([0-9]{2}:?[0-9]{2})$")


class ListPagination(CursorPagination):
    """A JSON array body, `Link` rel="next" and `X-Total-Count` headers; ordered by a unique, never-changing
    integer key (`id`, or `-id` for newest first) so that the cursor position alone places every item."""

    ordering = "id"
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    template = None
    total = 0

    def __init__(self, ordering: str = "id"):
        self.ordering = ordering

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        value = raw.strip()
        if not re.fullmatch(r"[0-9]{1,6}", value) or not 1 <= int(value) <= self.max_page_size:
            message = _("Give a whole number from 1 to %(max)s.") % {"max": self.max_page_size}
            raise PortalError(_("Not a page size this list accepts."), {self.page_size_query_param: [message]})
        return int(value)

    def decode_cursor(self, request: Request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param, "")
        try:
            if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", encoded):
                raise ValueError("not base64")  # b64decode would drop the other characters and read what is left
            cursor = super().decode_cursor(request)
        except (NotFound, ValueError, TypeError):  # DRF's NotFound, or what a crafted string makes it raise
            cursor = None
            broken = True
        else:
            position = cursor.position if cursor else None
            broken = position is not None and not (
                re.fullmatch(r"-?[0-9]{1,19}", position) and abs(int(position)) <= _MAX_ID
            )
        if broken:
            raise PortalError(
                _("Not a cursor of this list."),
                {self.cursor_query_param: [_("Follow the URL in the Link header; do not build cursors.")]},
            )
        return cursor

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list:
        self.get_page_size(request)  # a bad page_size is refused before any query
        self.total = queryset.count()
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        headers = {"X-Total-Count": str(self.total)}
        if following := self.get_next_link():
            headers["Link"] = f'<{following}>; rel="next"'
        return Response(data, headers=headers)

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return schema  # the body stays the array; the paging is in the headers


def paginated(
    request: Request, queryset: QuerySet, serialize: Any, *, ordering: str = "id", view: Any = None
) -> Response:
    """One page of `queryset` as the contract's list answer; `serialize` turns the page's rows into JSON items
    (a serializer class, or any callable taking the list of rows)."""
    paginator = ListPagination(ordering)
    page = paginator.paginate_queryset(queryset, request, view)
    data = serialize(page, many=True).data if isinstance(serialize, type) else serialize(page)
    return paginator.get_paginated_response(data)


def updated_since(request: Request, queryset: QuerySet, *fields: str) -> QuerySet:
    """`?updated_since=<ISO 8601 time>`: the rows whose `fields` (any of them) are at or after that time. A time
    without an offset is Beijing time (Asia/Shanghai); an unparsable one is a 400 naming the parameter."""
    raw = request.query_params.get("updated_since")
    if raw is None:
        return queryset
    since = parse_time(raw)
    if since is None:
        raise PortalError(
            _("Not a time this list understands."),
            {"updated_since": [_("Give an ISO 8601 time, such as 2025-03-01T08:00:00+08:00.")]},
        )
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__gte": since})
    return queryset.filter(condition)


def parse_time(raw: str) -> dt.datetime | None:
    """An ISO 8601 time as an aware UTC datetime, or None. A `+` left unencoded in a query string arrives as a
    space before the offset; it is read as the `+` the client meant."""
    value = _SPACE_FOR_PLUS.sub(r"\1+\2", raw.strip())
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            return None
        if timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=BEIJING)
        return parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):  # month 13, or a year 1 or 9999 time that leaves the calendar in UTC
        return None


_CURSOR = OpenApiParameter(
    "cursor", str, description="Opaque position of a page; take it from the `Link` header, never build it."
)
_PAGE_SIZE = OpenApiParameter(
    "page_size",
    int,
    description=f"Items per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}); anything else is a 400.",
)
UPDATED_SINCE = OpenApiParameter(
    "updated_since",
    OpenApiTypes.DATETIME,
    description="Only items changed at or after this ISO 8601 time (no offset: Beijing time). For incremental "
    "synchronisation: remember when you started the previous walk and pass it here.",
)
_HEADERS = [
    OpenApiParameter(
        "Link",
        str,
        location=OpenApiParameter.HEADER,
        response=[200],
        description='`<url>; rel="next"`: the next page. Absent on the last page.',
    ),
    OpenApiParameter(
        "X-Total-Count",
        int,
        location=OpenApiParameter.HEADER,
        response=[200],
        description="How many items match the query, on every page together.",
    ),
]


def list_schema(item: type, *, parameters: tuple[Any, ...] = ()) -> Any:
    """`extend_schema` for a list endpoint: its filters, the paging parameters and the two response headers. The
    200 stays a bare list serializer, so drf-spectacular still names the operation `..._list`."""
    return extend_schema(
        parameters=[*parameters, _CURSOR, _PAGE_SIZE, *_HEADERS],
        responses={
            200: item(many=True),
            400: OpenApiResponse(description="A bad `page_size`, `cursor` or filter, named in `errors`."),
        },
    )


@dataclass(frozen=True)
class PageOf:
    """One page of a list on an HTML page, with what the pager shows."""

    items: Any  # the page's rows: a slice of the queryset given (a list for a list)
    total: int
    number: int
    pages: int
    previous_url: str | None
    next_url: str | None

    @property
    def total_display(self) -> str:
        return f"{self.total:,}"

    @property
    def paged(self) -> bool:
        return self.pages > 1


def page_of(
    request: HttpRequest, items: Any, *, per_page: int = 50, param: str = "page", path: str = "", anchor: str = ""
) -> PageOf:
    """The page `?<param>=` asks for (the first for anything that is not a page number, the last when past the
    end); its previous/next links keep every other parameter of the query string, the filters among them. `path`
    when the page is also rendered at another URL (a form's POST answer); `anchor` to land on the list."""
    paginator = Paginator(items, per_page)
    page = paginator.get_page(request.GET.get(param))

    def url(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return f"{path}?{query.urlencode()}" + (f"#{anchor}" if anchor else "")

    return PageOf(
        items=page.object_list,
        total=paginator.count,
        number=page.number,
        pages=paginator.num_pages,
        previous_url=url(page.previous_page_number()) if page.has_previous() else None,
        next_url=url(page.next_page_number()) if page.has_next() else None,
    )
