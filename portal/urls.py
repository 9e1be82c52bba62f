from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from departments.apis import DepartmentListApi, UnifiedFormApi
from forms_engine.apis import DataItemListApi, DepartmentFormApi

from . import views
from .api import TokenApi

api_v1 = [
    path("auth/token", TokenApi.as_view(), name="api-token"),
    path("departments", DepartmentListApi.as_view(), name="api-departments"),
    path("departments/<str:code>/form", DepartmentFormApi.as_view(), name="api-department-form"),
    path("data-items", DataItemListApi.as_view(), name="api-data-items"),
    path("forms/unified", UnifiedFormApi.as_view(), name="api-forms-unified"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
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
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("manage/", include("forms_engine.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
