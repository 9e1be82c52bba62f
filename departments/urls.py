from django.urls import path

from . import views

app_name = "workbench"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("filings/<int:pk>/", views.filing_detail, name="filing"),
    path("filings/<int:pk>/document.pdf", views.filing_document, name="filing-document"),
    path("failed/", views.failed, name="failed"),
]
