from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from departments.selectors import department_list
from registration.selectors import enterprises_of

from .forms import SignupForm
from .health import health_report
from .pagination import page_of
from .services import user_signup


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    healthy, components = health_report()
    return JsonResponse({"status": "ok" if healthy else "error", **components}, status=200 if healthy else 503)


def home(request: HttpRequest) -> HttpResponse:
    enterprises = enterprises_of(request.user) if request.user.is_authenticated else []
    return render(request, "portal/home.html", {"departments": department_list(), "enterprises": enterprises})


def signup(request: HttpRequest) -> HttpResponse:
    if not settings.PASSWORD_SIGNUP:
        raise Http404  # only real-name sign-in makes applicant accounts
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_signup(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            full_name=form.cleaned_data["full_name"],
            mobile=form.cleaned_data["mobile"],
            email=form.cleaned_data.get("email", ""),
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome, %(name)s. Your account is ready.") % {"name": user.full_name})
        return redirect("home")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The user's messages, newest first, in pages; the messages shown are marked read (not those on pages the
    user has not opened)."""
    page = page_of(request, request.user.notifications.order_by("-created_at", "-id"))
    notes = list(page.items)  # read before marking, so the page still shows which were new
    request.user.notifications.filter(pk__in=[n.pk for n in notes], read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "portal/inbox.html", {"notes": notes, "page": page})


# --- Error answers: the API answers in the contract's JSON shape even where no view ran -----------------------------


def _api_error(request: HttpRequest, status: int, detail: str, fallback, exception=None, **kwargs) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=status)
    return fallback(request, exception, **kwargs) if exception is not None else fallback(request, **kwargs)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _api_error(request, 400, _("The request has errors."), defaults.bad_request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A URL no route matches (e.g. a filing id that is not a number) is a 404 like any unknown object."""
    return _api_error(request, 404, _("Not found."), defaults.page_not_found, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _api_error(request, 403, _("You do not have permission to perform this action."),
                      defaults.permission_denied, exception)  # fmt: skip


def server_error(request: HttpRequest) -> HttpResponse:
    return _api_error(request, 500, _("The portal failed to answer; the error has been logged."), defaults.server_error)
