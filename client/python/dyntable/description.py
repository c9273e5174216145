# SPDX-License-Identifier: MIT
"""Typed, read-only views of DynamoDB's TableDescription."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

__all__ = ["TableDescription", "IndexDescription", "KeyAttribute"]

#: A key attribute: (name, type), type "S", "N" or "B" -- the same shape as
#: create_table's partition_key and sort_key.
KeyAttribute = Tuple[str, str]


def _keys(schema: Any, types: Mapping[str, str], kind: str) -> Tuple[KeyAttribute, ...]:
    if not isinstance(schema, list):
        return ()
    return tuple((k["AttributeName"], types.get(k["AttributeName"], ""))
                 for k in schema
                 if isinstance(k, dict) and k.get("KeyType") == kind
                 and isinstance(k.get("AttributeName"), str))


def _int(d: Any, key: str) -> Optional[int]:
    v = d.get(key) if isinstance(d, dict) else None
    return v if isinstance(v, int) and not isinstance(v, bool) else None


@dataclass(frozen=True)
class IndexDescription:
    """A global or local secondary index as DynamoDB reports it."""

    name: str
    partition_keys: Tuple[KeyAttribute, ...]  #: 1-4 (a GSI's), or the table's
    sort_keys: Tuple[KeyAttribute, ...]  #: 0-4
    projection: str  #: ALL, KEYS_ONLY or INCLUDE
    non_key_attributes: Tuple[str, ...] = ()
    status: Optional[str] = None  #: a GSI's IndexStatus; None for an LSI
    read_capacity: Optional[int] = None  #: under PROVISIONED
    write_capacity: Optional[int] = None

    @property
    def partition_key(self) -> Optional[KeyAttribute]:
        return self.partition_keys[0] if self.partition_keys else None

    @property
    def sort_key(self) -> Optional[KeyAttribute]:
        return self.sort_keys[0] if self.sort_keys else None

    @classmethod
    def from_dict(cls, d: Dict[str, Any], types: Mapping[str, str],
                  local: bool) -> "IndexDescription":
        proj = d.get("Projection") or {}
        pt = d.get("ProvisionedThroughput")
        return cls(
            name=d.get("IndexName", ""),
            partition_keys=_keys(d.get("KeySchema"), types, "HASH"),
            sort_keys=_keys(d.get("KeySchema"), types, "RANGE"),
            projection=proj.get("ProjectionType", ""),
            non_key_attributes=tuple(proj.get("NonKeyAttributes") or ()),
            status=None if local else d.get("IndexStatus"),
            read_capacity=(_int(pt, "ReadCapacityUnits") or None) if not local else None,
            write_capacity=(_int(pt, "WriteCapacityUnits") or None) if not local else None,
        )


@dataclass(frozen=True)
class TableDescription:
    """The common fields of a TableDescription, parsed; ``raw`` is the whole
    structure as the daemon passed it on (DynamoDB's member names), for
    everything else. Strings are None where DynamoDB reported nothing."""

    name: str
    status: str  #: TableStatus: CREATING, ACTIVE, DELETING, UPDATING, ...
    arn: Optional[str]
    billing_mode: str  #: PAY_PER_REQUEST or PROVISIONED
    partition_key: KeyAttribute
    sort_key: Optional[KeyAttribute]
    table_class: Optional[str] = None  #: None when not reported (STANDARD)
    read_capacity: Optional[int] = None  #: under PROVISIONED
    write_capacity: Optional[int] = None
    item_count: int = 0
    size_bytes: int = 0
    creation_time: Optional[float] = None  #: seconds since the epoch
    deletion_protection: bool = False
    stream_view_type: Optional[str] = None  #: None: no stream
    sse_status: Optional[str] = None  #: None: AWS owned key
    sse_type: Optional[str] = None
    kms_key_arn: Optional[str] = None
    global_secondary_indexes: Tuple[IndexDescription, ...] = ()
    local_secondary_indexes: Tuple[IndexDescription, ...] = ()
    raw: Dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def active(self) -> bool:
        """True when the table and every GSI are ACTIVE."""
        return self.status == "ACTIVE" and all(
            g.status == "ACTIVE" for g in self.global_secondary_indexes)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "TableDescription":
        types = {a["AttributeName"]: a.get("AttributeType", "")
                 for a in d.get("AttributeDefinitions") or ()
                 if isinstance(a, dict) and "AttributeName" in a}
        pk = _keys(d.get("KeySchema"), types, "HASH")
        sk = _keys(d.get("KeySchema"), types, "RANGE")
        pt = d.get("ProvisionedThroughput")
        bm = (d.get("BillingModeSummary") or {}).get("BillingMode")
        rcu, wcu = _int(pt, "ReadCapacityUnits"), _int(pt, "WriteCapacityUnits")
        if bm is None:  # DynamoDB may omit the summary of a provisioned table
            bm = "PROVISIONED" if rcu else "PAY_PER_REQUEST"
        stream = d.get("StreamSpecification") or {}
        sse = d.get("SSEDescription") or {}
        ct = d.get("CreationDateTime")
        return cls(
            name=d.get("TableName", ""),
            status=d.get("TableStatus", ""),
            arn=d.get("TableArn"),
            billing_mode=bm,
            partition_key=pk[0] if pk else ("", ""),
            sort_key=sk[0] if sk else None,
            table_class=(d.get("TableClassSummary") or {}).get("TableClass"),
            read_capacity=rcu if bm == "PROVISIONED" else None,
            write_capacity=wcu if bm == "PROVISIONED" else None,
            item_count=_int(d, "ItemCount") or 0,
            size_bytes=_int(d, "TableSizeBytes") or 0,
            creation_time=float(ct) if isinstance(ct, (int, float)) else None,
            deletion_protection=bool(d.get("DeletionProtectionEnabled", False)),
            stream_view_type=stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
            sse_status=sse.get("Status"),
            sse_type=sse.get("SSEType"),
            kms_key_arn=sse.get("KMSMasterKeyArn"),
            global_secondary_indexes=tuple(
                IndexDescription.from_dict(g, types, False)
                for g in d.get("GlobalSecondaryIndexes") or () if isinstance(g, dict)),
            local_secondary_indexes=tuple(
                IndexDescription.from_dict(x, types, True)
                for x in d.get("LocalSecondaryIndexes") or () if isinstance(x, dict)),
            raw=d,
        )


def table_names(v: Any) -> List[str]:
    return [t for t in v if isinstance(t, str)] if isinstance(v, list) else []
