"""Lambda entry point: scheduled, manual and SQS (fan-out) events → refresh run reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from thoth.refresh_service import fanout, freshness
from thoth.refresh_service.pipeline import Refresher
from thoth.refresh_service.runs import MODES, RunOptions, Services
from thoth.refresh_service.runtime import build_services
from thoth.refresh_service.sources.definitions import load_config
from thoth.shared import metrics
from thoth.shared.config import get_settings
from thoth.shared.errors import ThothError
from thoth.shared.logging import configure, get_logger, redact, set_request_id

RESERVE_S = 60.0  # time kept back to write, verify and publish after the last embedding batch
MANUAL_KEYS = {"source", "mode", "ref", "fanout", "batch_files"}
log = get_logger(__name__)


class EventError(ThothError):
    """The event is not one this function understands."""


def _remaining(context: Any) -> Callable[[], float] | None:
    method = getattr(context, "get_remaining_time_in_millis", None)
    return (lambda: method() / 1000.0) if callable(method) else None


def _is_scheduled(event: dict[str, Any]) -> bool:
    return event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event"


def _is_sqs(event: dict[str, Any]) -> bool:
    records = event.get("Records")
    return (
        isinstance(records, list)
        and bool(records)
        and all(isinstance(r, dict) and r.get("eventSource") == "aws:sqs" for r in records)
    )


def _manual(event: dict[str, Any]) -> tuple[str, str, str | None, bool | None, int]:
    unknown = sorted(set(event) - MANUAL_KEYS)
    if unknown:
        raise EventError(
            f'unknown event field(s) {", ".join(unknown)}; send {{"source": "<name>", '
            '"mode": "incremental"|"full", "ref": "<branch/tag/sha>"}} or an EventBridge schedule event'
        )
    source, mode, ref, fan = (
        event.get("source"),
        event.get("mode", "incremental"),
        event.get("ref"),
        event.get("fanout"),
    )
    if not isinstance(source, str) or not source:
        raise EventError('event field \'source\' must name a configured source, e.g. {"source": "handbook"}')
    if mode not in MODES:
        raise EventError(f"event field 'mode' is {mode!r}; use 'incremental' or 'full'")
    if ref is not None and (not isinstance(ref, str) or not ref.strip()):
        raise EventError("event field 'ref' must be a non-empty branch, tag or commit sha")
    if fan is not None and not isinstance(fan, bool):
        raise EventError("event field 'fanout' must be true or false")
    batch = event.get("batch_files", fanout.DEFAULT_BATCH_FILES)
    if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= 1000:
        raise EventError("event field 'batch_files' must be a whole number of files per batch from 1 to 1000")
    return source, mode, ref, fan, batch


def _aggregate(reports: list[dict[str, Any]]) -> str:
    for status in ("error", "partial", "locked", "queued", "ok"):
        if any(r["status"] == status for r in reports):
            return status
    return "unchanged"


def _sqs(event: dict[str, Any], services: Services) -> dict[str, Any]:
    """Process batch messages; failed ones are returned for SQS to redeliver (partial batch response)."""
    configs = load_config(services.store, services.refresh.sources_config)
    failures, reports = [], []
    for record in event["Records"]:
        try:
            message = fanout.parse_message(str(record.get("body", "")))
            if message["source"] not in configs:
                raise EventError(f"refresh batch names unknown source {message['source']!r}")
            reports.append(fanout.handle(message, configs[message["source"]], services).to_dict())
        except Exception as exc:
            log.error(
                "batch failed", extra={"message_id": record.get("messageId"), "error": redact(str(exc))}
            )
            failures.append({"itemIdentifier": record.get("messageId", "")})
            reports.append(
                {"status": "error", "error": redact(str(exc)), "message_id": record.get("messageId")}
            )
    return {"batchItemFailures": failures, "reports": reports}


def dispatch(event: Any, context: Any, services: Services) -> dict[str, Any]:
    """Route one event; raises EventError for events it cannot understand."""
    if not isinstance(event, dict):
        raise EventError(f"event must be a JSON object, got {type(event).__name__}")
    if _is_sqs(event):
        return _sqs(event, services)
    remaining = _remaining(context)
    if _is_scheduled(event):
        configs = load_config(services.store, services.refresh.sources_config)
        freshness.record_ages(services.state, configs)  # before any run: a killed run writes nothing
        reports = [
            Refresher(config, services).run(RunOptions(remaining_s=remaining, reserve_s=RESERVE_S)).to_dict()
            for config in configs.values()
        ]
        return {"status": _aggregate(reports), "sources": reports}
    source, mode, ref, fan, batch = _manual(event)
    configs = load_config(services.store, services.refresh.sources_config)
    if source not in configs:
        raise EventError(
            f"source {source!r} is not configured; configured sources: {', '.join(sorted(configs))}"
        )
    url = services.refresh.queue_url
    if mode == "full" and url and fan is not False:
        return fanout.start(configs[source], services, url, ref, batch).to_dict()
    if fan and not url:
        raise EventError("fan-out needs THOTH_QUEUE_URL (the refresh queue); set it or drop 'fanout'")
    options = RunOptions(mode=mode, ref=ref, remaining_s=remaining, reserve_s=RESERVE_S)
    return Refresher(configs[source], services).run(options).to_dict()


_cold = True


def _count_cold_start() -> None:
    global _cold
    if _cold:
        _cold = False
        metrics.emit({"Function": "refresh-service"}, {"ColdStarts": 1})


def handler(event: Any, context: Any) -> dict[str, Any]:
    """`thoth.refresh_service.handler.handler`: returns the run report (or one per source) as JSON."""
    settings = None
    try:
        settings = get_settings()
        configure(settings.log_level)
        set_request_id(getattr(context, "aws_request_id", None))
        _count_cold_start()
        result = dispatch(event, context, build_services(settings))
    except ThothError as exc:
        if settings is None:
            configure()
        log.error("refresh invocation rejected", extra={"error": redact(str(exc))})
        return {"status": "error", "error": redact(str(exc))}
    log.info("refresh invocation done", extra={"status": result.get("status")})
    return result
