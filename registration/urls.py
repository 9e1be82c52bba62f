from django.urls import path

from . import enterprise_views, views

app_name = "registration"
urlpatterns = [
    path("start/", views.start, name="start"),
    path("start/preview/", views.start_preview, name="start-preview"),
    path("applications/", views.application_list, name="list"),
    path("applications/<int:pk>/", views.detail, name="detail"),
    path("applications/<int:pk>/progress/", views.progress, name="progress"),
    path("applications/<int:pk>/form/<slug:key>/", views.section, name="section"),
    path("applications/<int:pk>/review/", views.review, name="review"),
    path("applications/<int:pk>/name-check/", views.name_check_fragment, name="name-check"),
    path("applications/<int:pk>/correct/", views.correct, name="correct"),
    path("applications/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("applications/<int:pk>/delete/", views.delete_draft, name="delete-draft"),
    path("applications/<int:pk>/documents/<str:kind>.pdf", views.document, name="document"),
    path("enterprises/<str:uscc>/", enterprise_views.enterprise_page, name="enterprise"),
    path("enterprises/<str:uscc>/change/", enterprise_views.enterprise_change, name="enterprise-change"),
    path("enterprises/<str:uscc>/details/", enterprise_views.todo_details_view, name="todo-details"),
    path("enterprises/<str:uscc>/archive-copies/", enterprise_views.archive_copy_view, name="archive-copy"),
]
