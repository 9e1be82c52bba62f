from django.urls import path

from . import views

app_name = "forms"
urlpatterns = [
    path("forms/", views.form_list, name="list"),
    path("forms/<str:code>/", views.form_detail, name="detail"),
    path("forms/<str:code>/preview/", views.form_preview, name="preview"),
    path("forms/<str:code>/draft/", views.draft_open, name="draft"),
    path("forms/<str:code>/v<int:number>/fields/", views.mapping_add, name="mapping-add"),
    path("forms/<str:code>/v<int:number>/field-inputs/", views.mapping_fields, name="mapping-fields"),
    path("forms/<str:code>/v<int:number>/fields/<int:mapping_id>/", views.mapping_edit, name="mapping-edit"),
    path("forms/<str:code>/v<int:number>/fields/<int:mapping_id>/delete/", views.mapping_delete, name="mapping-delete"),
    path("forms/<str:code>/v<int:number>/publish/", views.form_publish, name="publish"),
    path("forms/<str:code>/v<int:number>/discard/", views.draft_discard, name="discard"),
    path("items/", views.item_list, name="items"),
    path("items/<slug:key>/", views.item_impact, name="item"),
]
