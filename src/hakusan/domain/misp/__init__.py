"""MISP: our observable types ↔ MISP attribute category/type, TLP ↔ MISP tags, and reading MISP
event JSON (single events, lists, feed manifests) into plain records.

Pure Python (no Django); ``hakusan.misp`` builds feeds and imports events with these.

    from hakusan.domain.misp import export_target, import_parts, tlp_of_tags, parse_event
"""

from .events import (
    AttributeRecord,
    EventRecord,
    GalaxyRef,
    InvalidMispDocument,
    Rejected,
    attribute_uuid,
    content_hash,
    event_uuid,
    events_in,
    is_manifest,
    parse_event,
    value_hashes,
)
from .mapping import (
    EXPORT_TYPES,
    HAKUSAN_TYPE_TAG,
    MispTarget,
    UnsupportedMispType,
    canonical_value,
    export_target,
    import_parts,
    is_tlp_tag,
    skip_reason,
    tlp_of_tags,
    tlp_tag,
    type_tag,
)

__all__ = [
    "EXPORT_TYPES",
    "HAKUSAN_TYPE_TAG",
    "AttributeRecord",
    "EventRecord",
    "GalaxyRef",
    "InvalidMispDocument",
    "MispTarget",
    "Rejected",
    "UnsupportedMispType",
    "attribute_uuid",
    "canonical_value",
    "content_hash",
    "event_uuid",
    "events_in",
    "export_target",
    "import_parts",
    "is_manifest",
    "is_tlp_tag",
    "parse_event",
    "skip_reason",
    "tlp_of_tags",
    "tlp_tag",
    "type_tag",
    "value_hashes",
]
