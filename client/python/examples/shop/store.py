# SPDX-License-Identifier: MIT
"""The application's data access, plain boto3."""


def add_user(ddb, table, user_id, email, age):
    ddb.put_item(TableName=table, Item={"user_id": {"S": user_id}, "email": {"S": email},
                                        "age": {"N": str(age)}},
                 ConditionExpression="attribute_not_exists(user_id)")


def find_by_email(ddb, table, email):
    r = ddb.query(TableName=table, IndexName="by_email",
                  KeyConditionExpression="email = :e",
                  ExpressionAttributeValues={":e": {"S": email}})
    return sorted(i["user_id"]["S"] for i in r["Items"])


def count(ddb, table):
    return ddb.scan(TableName=table, Select="COUNT")["Count"]
