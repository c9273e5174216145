# SPDX-License-Identifier: MIT
"""Declarative models: name each attribute once with its type and key role,
declare the indexes on the class, and create the table from it::

    class User(Model):
        model_config = ModelConfig(table="users")
        pk = StringAttribute(partition_key=True)
        sk = NumberAttribute(sort_key=True)
        email = StringAttribute()
        by_email = GlobalSecondaryIndex(index_name="by_email", partition_key="email")

    User.sync_create_table(wait=True)

Key and index attribute types are inferred from the attribute classes. What
only a model can get wrong (no partition key, two of them, an index on an
undeclared attribute, a key of a non-scalar type) raises InvalidError at
class definition, naming the attribute; DynamoDB's rules stay the daemon's.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Optional, Sequence, Tuple, Union

from .client import DynamoDBClient, Tags
from .description import TableDescription
from .errors import InvalidError

__all__ = ["Model", "ModelConfig", "Attribute", "StringAttribute", "NumberAttribute",
           "BinaryAttribute", "BooleanAttribute", "ListAttribute", "MapAttribute",
           "StringSetAttribute", "NumberSetAttribute", "GlobalSecondaryIndex",
           "LocalSecondaryIndex", "set_default_client", "get_default_client"]

_default_client: Optional[DynamoDBClient] = None


def set_default_client(client: Optional[DynamoDBClient]) -> None:
    """The client models use unless their ModelConfig names one."""
    global _default_client
    _default_client = client


def get_default_client() -> DynamoDBClient:
    """The default client; a DynamoDBClient() from the environment if none
    was set."""
    global _default_client
    if _default_client is None:
        _default_client = DynamoDBClient()
    return _default_client


class ModelConfig:
    """A model's table: ``model_config = ModelConfig(table="users")``.
    client: the DynamoDBClient to use (default: get_default_client())."""

    def __init__(self, table: str, client: Optional[DynamoDBClient] = None) -> None:
        self.table = table
        self.client = client


class Attribute:
    """An attribute of a model. Subclasses set attr_type (DynamoDB's type
    letter(s)); only S, N and B can be keys. alias: its name in DynamoDB,
    when not the Python name."""

    attr_type: ClassVar[str] = ""

    def __init__(self, partition_key: bool = False, sort_key: bool = False, *,
                 hash_key: bool = False, range_key: bool = False,
                 alias: Optional[str] = None, default: Any = None) -> None:
        self.partition_key = partition_key or hash_key
        self.sort_key = sort_key or range_key
        self.alias = alias
        self.default = default
        self.name = ""  # the Python name, from __set_name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @property
    def attr_name(self) -> str:
        """The attribute's name in DynamoDB."""
        return self.alias or self.name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        return obj.__dict__.get(self.name, self.default)

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class StringAttribute(Attribute):
    attr_type = "S"


class NumberAttribute(Attribute):
    attr_type = "N"


class BinaryAttribute(Attribute):
    attr_type = "B"


class BooleanAttribute(Attribute):
    attr_type = "BOOL"


class ListAttribute(Attribute):
    attr_type = "L"


class MapAttribute(Attribute):
    attr_type = "M"


class StringSetAttribute(Attribute):
    attr_type = "SS"


class NumberSetAttribute(Attribute):
    attr_type = "NS"


Names = Union[str, Sequence[str], None]
Projection = Union[str, Sequence[str]]


def _names(v: Names) -> List[str]:
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)


class GlobalSecondaryIndex:
    """A GSI: 1-4 partition key attributes and 0-4 sort key attributes
    (names of the model's attributes). projection: ``"ALL"``,
    ``"KEYS_ONLY"`` or a list of attributes (INCLUDE). read_capacity /
    write_capacity: under PROVISIONED, default the table's."""

    local: ClassVar[bool] = False

    def __init__(self, index_name: str, partition_key: Names = None, sort_key: Names = None,
                 projection: Projection = "ALL", read_capacity: Optional[int] = None,
                 write_capacity: Optional[int] = None, *, hash_key: Names = None,
                 range_key: Names = None) -> None:
        self.index_name = index_name
        self.partition_keys = _names(partition_key) or _names(hash_key)
        self.sort_keys = _names(sort_key) or _names(range_key)
        self.projection = projection
        self.read_capacity = read_capacity
        self.write_capacity = write_capacity
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name


class LocalSecondaryIndex(GlobalSecondaryIndex):
    """An LSI: the table's partition key and its own sort key."""

    local = True

    def __init__(self, index_name: str, sort_key: Optional[str] = None,
                 projection: Projection = "ALL", *, range_key: Optional[str] = None) -> None:
        super().__init__(index_name, None, sort_key or range_key, projection)


_SCALAR = ("S", "N", "B")


class Model:
    """Base class of models. A model with a table (``model_config`` or
    ``class Meta: table_name = ...``) is checked when it is defined."""

    model_config: ClassVar[Optional[ModelConfig]] = None
    _attributes: ClassVar[Dict[str, Attribute]] = {}
    _indexes: ClassVar[List[GlobalSecondaryIndex]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        attrs: Dict[str, Attribute] = {}
        indexes: Dict[str, GlobalSecondaryIndex] = {}
        for klass in reversed(cls.__mro__):
            for k, v in vars(klass).items():
                if isinstance(v, Attribute):
                    attrs[k] = v
                elif isinstance(v, GlobalSecondaryIndex):
                    indexes[k] = v
        cls._attributes = attrs
        cls._indexes = list(indexes.values())
        meta = getattr(cls, "Meta", None)
        if cls.model_config is None and meta is not None and getattr(meta, "table_name", None):
            cls.model_config = ModelConfig(meta.table_name, getattr(meta, "client", None))
        if cls.model_config is not None:
            cls._schema()  # raises now rather than at the first call

    def __init__(self, **values: Any) -> None:
        for k, v in values.items():
            if k not in self._attributes:
                raise TypeError(f"{type(self).__name__} has no attribute {k!r}")
            setattr(self, k, v)

    # ---- the schema -------------------------------------------------------

    @classmethod
    def _key(cls, a: Attribute, role: str) -> Tuple[str, str]:
        if a.attr_type not in _SCALAR:
            raise InvalidError(f"{cls.__name__}.{a.name}: {role} must be a string, number or "
                               f"binary attribute, not {type(a).__name__} ({a.attr_type})")
        return (a.attr_name, a.attr_type)

    @classmethod
    def _schema(cls) -> Dict[str, Any]:
        """The schema part of create_table's arguments."""
        if cls.model_config is None or not cls.model_config.table:
            raise InvalidError(f"{cls.__name__}: no table name (model_config = "
                               f"ModelConfig(table=...) or Meta.table_name)")
        pks = [a for a in cls._attributes.values() if a.partition_key]
        sks = [a for a in cls._attributes.values() if a.sort_key]
        if not pks:
            raise InvalidError(f"{cls.__name__}: no partition key (an attribute with "
                               f"partition_key=True)")
        if len(pks) > 1:
            raise InvalidError(f"{cls.__name__}.{pks[1].name}: a second partition key "
                               f"({pks[0].name} is one)")
        if len(sks) > 1:
            raise InvalidError(f"{cls.__name__}.{sks[1].name}: a second sort key "
                               f"({sks[0].name} is one)")
        if sks and sks[0] is pks[0]:
            raise InvalidError(f"{cls.__name__}.{pks[0].name}: both partition and sort key")
        by_name = {a.attr_name: a for a in cls._attributes.values()}
        by_name.update(cls._attributes)  # Python names too

        def key(ix: GlobalSecondaryIndex, n: str, role: str) -> Tuple[str, str]:
            a = by_name.get(n)
            if a is None:
                raise InvalidError(f"{cls.__name__}.{ix.name}: {n!r} is not an attribute "
                                   f"of {cls.__name__}")
            return cls._key(a, f"{role} of index {ix.index_name!r}")

        gsis, lsis = [], []
        for ix in cls._indexes:
            if isinstance(ix.projection, str):
                proj: Dict[str, Any] = {"projection": ix.projection}
            else:
                proj = {"projection": "INCLUDE",
                        "non_key_attributes": [by_name[n].attr_name if n in by_name else n
                                               for n in ix.projection]}
            if ix.local:
                if len(ix.sort_keys) != 1:
                    raise InvalidError(f"{cls.__name__}.{ix.name}: an LSI needs one sort key")
                lsis.append({"index_name": ix.index_name,
                             "range_key": key(ix, ix.sort_keys[0], "sort key"), **proj})
                continue
            if not ix.partition_keys:
                raise InvalidError(f"{cls.__name__}.{ix.name}: a GSI needs a partition key")
            g: Dict[str, Any] = {
                "index_name": ix.index_name,
                "hash_keys": [key(ix, n, "partition key") for n in ix.partition_keys],
                "range_keys": [key(ix, n, "sort key") for n in ix.sort_keys], **proj}
            if ix.read_capacity is not None:
                g["read_capacity"] = ix.read_capacity
            if ix.write_capacity is not None:
                g["write_capacity"] = ix.write_capacity
            gsis.append(g)
        return {
            "table_name": cls.model_config.table,
            "partition_key": cls._key(pks[0], "the partition key"),
            "sort_key": cls._key(sks[0], "the sort key") if sks else None,
            "global_secondary_indexes": gsis or None,
            "local_secondary_indexes": lsis or None,
        }

    @classmethod
    def create_table_kwargs(cls, billing_mode: str = "PAY_PER_REQUEST",
                            read_capacity: Optional[int] = None,
                            write_capacity: Optional[int] = None,
                            table_class: Optional[str] = None,
                            encryption: Optional[str] = None,
                            kms_key_id: Optional[str] = None, **more: Any) -> Dict[str, Any]:
        """The keyword arguments of DynamoDBClient.create_table() that this
        model stands for, with these options."""
        return {**cls._schema(), "billing_mode": billing_mode,
                "read_capacity": read_capacity if read_capacity is not None else 5,
                "write_capacity": write_capacity if write_capacity is not None else 5,
                "table_class": table_class or "STANDARD",
                "encryption": encryption or "AWS_OWNED",
                "kms_key_id": kms_key_id, **more}

    @classmethod
    def _client(cls) -> DynamoDBClient:
        c = cls.model_config.client if cls.model_config else None
        return c or get_default_client()

    @classmethod
    def _table_name(cls) -> str:
        return cls._schema()["table_name"]

    # ---- the spec's methods ------------------------------------------------

    @classmethod
    async def create_table(cls, billing_mode: str = "PAY_PER_REQUEST",
                           read_capacity: Optional[int] = None,
                           write_capacity: Optional[int] = None,
                           table_class: Optional[str] = None,
                           encryption: Optional[str] = None,
                           kms_key_id: Optional[str] = None, wait: bool = False, *,
                           timeout_seconds: Optional[float] = None, table_only: bool = False,
                           ephemeral: bool = False, tags: Tags = None,
                           stream: Optional[str] = None,
                           deletion_protection: bool = False) -> TableDescription:
        """Creates the model's table: keys, GSIs (each with its own
        throughput under PROVISIONED) and LSIs from the class; the other
        arguments as DynamoDBClient.create_table()."""
        return await cls._client().create_table(wait=wait, **cls.create_table_kwargs(
            billing_mode, read_capacity, write_capacity, table_class, encryption, kms_key_id,
            timeout_seconds=timeout_seconds, table_only=table_only, ephemeral=ephemeral,
            tags=tags, stream=stream, deletion_protection=deletion_protection))

    @classmethod
    def sync_create_table(cls, billing_mode: str = "PAY_PER_REQUEST",
                          read_capacity: Optional[int] = None,
                          write_capacity: Optional[int] = None,
                          table_class: Optional[str] = None,
                          encryption: Optional[str] = None,
                          kms_key_id: Optional[str] = None, wait: bool = False, *,
                          timeout_seconds: Optional[float] = None, table_only: bool = False,
                          ephemeral: bool = False, tags: Tags = None,
                          stream: Optional[str] = None,
                          deletion_protection: bool = False) -> TableDescription:
        """Blocking twin of create_table()."""
        return cls._client().sync_create_table(wait=wait, **cls.create_table_kwargs(
            billing_mode, read_capacity, write_capacity, table_class, encryption, kms_key_id,
            timeout_seconds=timeout_seconds, table_only=table_only, ephemeral=ephemeral,
            tags=tags, stream=stream, deletion_protection=deletion_protection))

    @classmethod
    async def table_exists(cls) -> bool:
        """True when the model's table exists, whatever its status."""
        return await cls._client().table_exists(cls._table_name())

    @classmethod
    def sync_table_exists(cls) -> bool:
        """Blocking twin of table_exists()."""
        return cls._client().sync_table_exists(cls._table_name())

    @classmethod
    async def delete_table(cls, wait: bool = False, *,
                           timeout_seconds: Optional[float] = None) -> TableDescription:
        """Deletes the model's table (wait: until it is gone)."""
        return await cls._client().delete_table(cls._table_name(), wait,
                                                timeout_seconds=timeout_seconds)

    @classmethod
    def sync_delete_table(cls, wait: bool = False, *,
                          timeout_seconds: Optional[float] = None) -> TableDescription:
        """Blocking twin of delete_table()."""
        return cls._client().sync_delete_table(cls._table_name(), wait,
                                               timeout_seconds=timeout_seconds)
