# SPDX-License-Identifier: MIT
"""The table the application expects, declared once."""

from dyntable import GlobalSecondaryIndex, Model, ModelConfig, NumberAttribute, StringAttribute


class User(Model):
    model_config = ModelConfig(table="users")
    user_id = StringAttribute(partition_key=True)
    email = StringAttribute()
    age = NumberAttribute()
    by_email = GlobalSecondaryIndex(index_name="by_email", partition_key="email",
                                    projection="KEYS_ONLY")
