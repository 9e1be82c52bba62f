from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from departments import filing_apis, sandbox
from departments.apis import DepartmentListApi, UnifiedFormApi
from forms_engine.apis import DataItemListApi, DepartmentFormApi
from registration import apis as registration_apis
from registration import register_apis, signing_app, verify_apis
from registration import views as registration_views
from reporting import views as dashboard
from reporting.apis import StatsApi

from . import account_views, sandbox_idp, views
from .api import PingApi, TokenApi

api_v1 = [
    path("auth/token", TokenApi.as_view(), name="api-token"),
    path("ping", PingApi.as_view(), name="api-ping"),
    path("departments", DepartmentListApi.as_view(), name="api-departments"),
    path("departments/<str:code>/form", DepartmentFormApi.as_view(), name="api-department-form"),
    path("data-items", DataItemListApi.as_view(), name="api-data-items"),
    path("forms/unified", UnifiedFormApi.as_view(), name="api-forms-unified"),
    path("departments/<str:code>/callback", filing_apis.DepartmentCallbackApi.as_view(), name="api-callback"),
    path("filings", filing_apis.FilingListApi.as_view(), name="api-filings"),
    path("filings/<int:filing_id>", filing_apis.FilingDetailApi.as_view(), name="api-filing"),
    path("filings/<int:filing_id>/approve", filing_apis.FilingApproveApi.as_view(), name="api-filing-approve"),
    path("filings/<int:filing_id>/reject", filing_apis.FilingRejectApi.as_view(), name="api-filing-reject"),
    path(
        "filings/<int:filing_id>/request-correction",
        filing_apis.FilingCorrectionApi.as_view(),
        name="api-filing-correction",
    ),
    path("filings/<int:filing_id>/redispatch", filing_apis.FilingRedispatchApi.as_view(), name="api-filing-redispatch"),
    path("applications", registration_apis.ApplicationListApi.as_view(), name="api-applications"),
    path("applications/<int:application_id>", registration_apis.ApplicationDetailApi.as_view(), name="api-application"),
    path(
        "applications/<int:application_id>/submit",
        registration_apis.ApplicationSubmitApi.as_view(),
        name="api-application-submit",
    ),
    path(
        "applications/<int:application_id>/withdraw",
        registration_apis.ApplicationWithdrawApi.as_view(),
        name="api-application-withdraw",
    ),
    path(
        "applications/<int:application_id>/signing",
        registration_apis.ApplicationSigningApi.as_view(),
        name="api-application-signing",
    ),
    path(
        "applications/<int:application_id>/signatures",
        registration_apis.ApplicationSignaturesApi.as_view(),
        name="api-application-signatures",
    ),
    path("name-check", registration_apis.NameCheckApi.as_view(), name="api-name-check"),
    path("verify/public-key", verify_apis.PublicKeyApi.as_view(), name="api-verify-public-key"),
    path("verify/<str:uscc>", verify_apis.VerifyApi.as_view(), name="api-verify"),
    path(
        "enterprises/<str:uscc>/access-log",
        verify_apis.EnterpriseAccessLogApi.as_view(),
        name="api-enterprise-access-log",
    ),
    path(
        "applications/<int:pk>/documents/<str:kind>.pdf",
        registration_apis.ApplicationDocumentApi.as_view(),
        name="api-application-document",
    ),
    path("enterprises/<str:uscc>", registration_apis.EnterpriseDetailApi.as_view(), name="api-enterprise"),
    path(
        "enterprises/<str:uscc>/changes",
        registration_apis.EnterpriseChangesApi.as_view(),
        name="api-enterprise-changes",
    ),
    path("enterprises/<str:uscc>/todos", registration_apis.EnterpriseTodosApi.as_view(), name="api-enterprise-todos"),
    path(
        "enterprises/<str:uscc>/todos/<int:todo_id>",
        registration_apis.TodoSupplyApi.as_view(),
        name="api-enterprise-todo",
    ),
    path(
        "enterprises/<str:uscc>/archive-copies",
        registration_apis.EnterpriseArchiveCopiesApi.as_view(),
        name="api-enterprise-archive-copies",
    ),
    path("stats", StatsApi.as_view(), name="api-stats"),
    path("register/events", register_apis.RegisterEventApi.as_view(), name="api-register-events"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("inbox/", views.inbox, name="inbox"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/filings.csv", dashboard.filings_csv, name="dashboard-filings-csv"),
    path("dashboard/departments.csv", dashboard.departments_csv, name="dashboard-departments-csv"),
    path("verify/", registration_views.verify_upload, name="verify-upload"),
    path("verify/<str:number>/", registration_views.verify_document, name="verify-document"),
    path("accounts/signup/", views.signup, name="signup"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(template_name="accounts/password_change.html"),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html"),
        name="password_change_done",
    ),
    path("accounts/second-factor/", account_views.second_factor, name="second-factor"),
    # Real-name sign-in: the start of the round trip and the provider's way back (mozilla-django-oidc's views).
    path("oidc/authenticate/", account_views.real_name_start, name="oidc_authentication_init"),
    path("oidc/callback/", account_views.real_name_callback, name="oidc_authentication_callback"),
    path("sandbox/idp/authorize", sandbox_idp.authorize, name="sandbox-idp-authorize"),
    path("sandbox/idp/token", sandbox_idp.token, name="sandbox-idp-token"),
    path("sandbox/idp/userinfo", sandbox_idp.userinfo, name="sandbox-idp-userinfo"),
    path("sandbox/idp/jwks", sandbox_idp.jwks, name="sandbox-idp-jwks"),
    path("sandbox/idp/.well-known/openid-configuration", sandbox_idp.discovery, name="sandbox-idp-discovery"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("manage/", include("forms_engine.urls")),
    path("", include("registration.urls")),
    path("workbench/", include("departments.urls")),
    path("sandbox/ca/<str:code>.crl", sandbox.ca_crl, name="sandbox-ca-crl"),
    path("sandbox/sign/<int:pk>/<str:signer>/", signing_app.signing_app, name="sandbox-signing-app"),
    path("sandbox/<str:code>/filings", sandbox.receive_filing, name="sandbox-receive"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]

# The API answers errors in its JSON shape even where no view ran (no route matched, a bad request at the door).
handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.not_found"
handler500 = "portal.views.server_error"
