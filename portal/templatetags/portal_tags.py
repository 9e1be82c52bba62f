from django import template

register = template.Library()


@register.filter
def get_count(counts: dict, key: str) -> int:
    """counts[key], 0 when absent (state counts in the workbench)."""
    return counts.get(key, 0)
