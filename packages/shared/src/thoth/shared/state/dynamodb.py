"""State store on DynamoDB (table with pk/sk string keys, TTL attribute `expires_at`)."""

from __future__ import annotations

import time
from typing import Any

from thoth.shared import aws
from thoth.shared.config import Settings
from thoth.shared.errors import StateError
from thoth.shared.state.base import Clock, Item, check_key, decode_value, encode_value, expiry

_LIVE = "(attribute_not_exists(expires_at) OR expires_at > :now)"


class DynamoStateStore:
    """Items in `table`; every write is one UpdateItem so `rev` increments atomically."""

    def __init__(self, table: str, settings: Settings | None = None, clock: Clock = time.time) -> None:
        self.table = table
        self._settings = settings
        self._clock = clock

    def describe(self) -> str:
        return f"DynamoDB table {self.table}"

    @property
    def _ddb(self) -> Any:
        return aws.client("dynamodb", self._settings)

    def _fail(self, exc: Exception, action: str) -> StateError:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            return StateError(
                f"DynamoDB table {self.table!r} does not exist; "
                "create it (nox -s infra) or fix DYNAMODB_TABLE_NAME"
            )
        return StateError(aws.describe_error(exc, f"{action} on {self.describe()}"))

    def _item(self, raw: dict[str, Any]) -> Item:
        pk, sk = raw["pk"]["S"], raw["sk"]["S"]
        exp = int(raw["expires_at"]["N"]) if "expires_at" in raw else None
        return Item(pk, sk, decode_value(raw["v"]["S"], pk, sk), int(raw["rev"]["N"]), exp)

    def _live(self, raw: dict[str, Any] | None) -> Item | None:
        if not raw:
            return None
        item = self._item(raw)
        if item.expires_at is not None and item.expires_at <= self._clock():
            return None  # DynamoDB deletes expired items lazily; hide them like SQLite does
        return item

    def get(self, pk: str, sk: str) -> Item | None:
        check_key(pk, sk)
        try:
            response = self._ddb.get_item(
                TableName=self.table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
            )
        except Exception as exc:
            raise self._fail(exc, "get") from None
        return self._live(response.get("Item"))

    def _update(
        self,
        pk: str,
        sk: str,
        value: dict[str, Any],
        ttl_s: float | None,
        condition: str | None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> Item | None:
        check_key(pk, sk)
        now = self._clock()
        exp = expiry(now, ttl_s)
        expr_values: dict[str, Any] = {
            ":v": {"S": encode_value(value)},
            ":one": {"N": "1"},
            ":zero": {"N": "0"},
        }
        expr_values.update(values or {})
        update = "SET v = :v, rev = if_not_exists(rev, :zero) + :one"
        if exp is None:
            update += " REMOVE expires_at"
        else:
            update = update.replace("SET v = :v,", "SET v = :v, expires_at = :exp,")
            expr_values[":exp"] = {"N": str(exp)}
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
            "UpdateExpression": update,
            "ExpressionAttributeValues": expr_values,
            "ReturnValues": "ALL_NEW",
        }
        if condition:
            kwargs["ConditionExpression"] = condition
            expr_values[":now"] = {"N": str(int(now))}
        if names:
            kwargs["ExpressionAttributeNames"] = names
        try:
            response = self._ddb.update_item(**kwargs)
        except Exception as exc:
            if getattr(exc, "response", {}).get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return None
            raise self._fail(exc, "write") from None
        return self._item(response["Attributes"])

    def put(self, pk: str, sk: str, value: dict[str, Any], *, ttl_s: float | None = None) -> Item:
        item = self._update(pk, sk, value, ttl_s, None)
        assert item is not None
        return item

    def create(self, pk: str, sk: str, value: dict[str, Any], *, ttl_s: float | None = None) -> Item | None:
        # Expired-but-not-yet-deleted items count as absent, so a crashed lock holder's lock expires.
        return self._update(pk, sk, value, ttl_s, "attribute_not_exists(pk) OR expires_at <= :now")

    def swap(
        self, pk: str, sk: str, value: dict[str, Any], *, expected_rev: int, ttl_s: float | None = None
    ) -> Item | None:
        return self._update(
            pk,
            sk,
            value,
            ttl_s,
            f"rev = :expected AND {_LIVE}",
            values={":expected": {"N": str(int(expected_rev))}},
        )

    def delete(self, pk: str, sk: str, *, expected_rev: int | None = None) -> bool:
        check_key(pk, sk)
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
            "ReturnValues": "ALL_OLD",
            "ConditionExpression": f"attribute_exists(pk) AND {_LIVE}",
            "ExpressionAttributeValues": {":now": {"N": str(int(self._clock()))}},
        }
        if expected_rev is not None:
            kwargs["ConditionExpression"] += " AND rev = :expected"
            kwargs["ExpressionAttributeValues"][":expected"] = {"N": str(int(expected_rev))}
        try:
            self._ddb.delete_item(**kwargs)
        except Exception as exc:
            if getattr(exc, "response", {}).get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                if expected_rev is None:
                    # Expired leftovers are removed too, but report nothing live was deleted.
                    self._ddb.delete_item(TableName=self.table, Key={"pk": {"S": pk}, "sk": {"S": sk}})
                return False
            raise self._fail(exc, "delete") from None
        return True

    def query(self, pk: str, sk_prefix: str = "") -> list[Item]:
        check_key(pk, sk_prefix or "x")
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ConsistentRead": True,
        }
        if sk_prefix:
            kwargs["KeyConditionExpression"] += " AND begins_with(sk, :prefix)"
            kwargs["ExpressionAttributeValues"][":prefix"] = {"S": sk_prefix}
        try:
            pages = self._ddb.get_paginator("query").paginate(**kwargs)
            raws = [raw for page in pages for raw in page.get("Items", [])]
        except Exception as exc:
            raise self._fail(exc, "query") from None
        items = [self._live(raw) for raw in raws]
        return [item for item in items if item is not None]
