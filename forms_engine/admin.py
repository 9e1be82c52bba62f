from django.contrib import admin

from .models import IndustryCode, Town


@admin.register(Town)
class TownAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "kind")
    list_filter = ("kind",)
    search_fields = ("code", "name_zh", "name_en")


@admin.register(IndustryCode)
class IndustryCodeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "level", "section", "standard")
    list_filter = ("level", "section")
    search_fields = ("code", "name_zh")
