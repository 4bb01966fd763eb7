"""Full rebuilds fanned out over SQS: file batches embed in parallel; the last batch publishes."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from typing import Any

from thoth.refresh_service.embed import EmbeddingCache
from thoth.refresh_service.embed_pass import embed_chunks
from thoth.refresh_service.parse_pass import Strikes, chunk_files
from thoth.refresh_service.pipeline import Refresher, take_snapshot
from thoth.refresh_service.report import RunReport
from thoth.refresh_service.runs import RunOptions, Services, now_iso
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.refresh_service.state import SourceState, partition
from thoth.shared import aws
from thoth.shared.errors import StateError, ThothError

MESSAGE_KIND = "thoth-refresh-batch"
DEFAULT_BATCH_FILES = 100


def start(
    config: SourceConfig,
    services: Services,
    url: str,
    ref: str | None,
    batch_files: int = DEFAULT_BATCH_FILES,
) -> RunReport:
    """Record a job and queue one message per batch of files; workers embed, the last one publishes."""
    report = RunReport(config.name, secrets.token_hex(6), now_iso(), "full", kind=config.kind)
    snapshot = take_snapshot(config, services, ref, None)
    paths = sorted(snapshot.files)
    batches = [paths[i : i + batch_files] for i in range(0, len(paths), batch_files)] or [[]]
    job = report.run_id
    services.state.put(
        partition(config.name),
        f"job#{job}",
        {"total": len(batches), "done": [], "commit": snapshot.revision, "created_at": report.started_at},
        ttl_s=7 * 24 * 3600,
    )
    sqs = aws.client("sqs", services.settings)
    messages = [
        {
            "Id": str(i),
            "MessageBody": json.dumps(
                {
                    "kind": MESSAGE_KIND,
                    "source": config.name,
                    "job": job,
                    "batch": i,
                    "paths": batch,
                    "ref": snapshot.revision,
                }
            ),
        }
        for i, batch in enumerate(batches)
    ]
    for i in range(0, len(messages), 10):
        try:
            response = sqs.send_message_batch(QueueUrl=url, Entries=messages[i : i + 10])
        except Exception as exc:
            raise ThothError(aws.describe_error(exc, f"queueing refresh batches on {url}")) from None
        if response.get("Failed"):
            raise ThothError(
                f"SQS rejected {len(response['Failed'])} refresh batch message(s): {response['Failed'][0]}"
            )
    report.status = "queued"
    report.commit = snapshot.revision
    report.files_total = len(paths)
    report.extra = {"job": job, "batches": len(batches), "queue_url": url}
    return report


def parse_message(body: str) -> dict[str, Any]:
    """A batch message, validated; ThothError names what is wrong."""
    try:
        message = json.loads(body)
    except ValueError:
        raise ThothError("SQS message body is not JSON; it was not sent by the refresh fan-out") from None
    if not isinstance(message, dict) or message.get("kind") != MESSAGE_KIND:
        raise ThothError(f"SQS message is not a refresh batch (kind must be {MESSAGE_KIND!r})")
    ok = (
        isinstance(message.get("source"), str)
        and isinstance(message.get("job"), str)
        and isinstance(message.get("batch"), int)
        and isinstance(message.get("paths"), list)
        and all(isinstance(p, str) for p in message["paths"])
        and (message.get("ref") is None or isinstance(message.get("ref"), str))
    )
    if not ok:
        raise ThothError(
            "refresh batch message needs source, job (str), batch (int), paths (list of str), ref"
        )
    return message


def _mark_done(services: Services, source: str, job: str, batch: int) -> tuple[int, int] | None:
    """Add `batch` to the job's done set (compare-and-swap); None when the job is gone."""
    pk, sk = partition(source), f"job#{job}"
    for _ in range(50):
        item = services.state.get(pk, sk)
        if item is None:
            return None
        done = sorted(set(item.value.get("done", [])) | {batch})
        value = {**item.value, "done": done}
        if services.state.swap(pk, sk, value, expected_rev=item.rev, ttl_s=7 * 24 * 3600) is not None:
            return len(done), int(item.value["total"])
    raise StateError(
        f"could not record batch {batch} of job {job}: too much contention; the message is retried"
    )


def embed_paths(
    config: SourceConfig, services: Services, paths: Sequence[str], ref: str | None, report: RunReport
) -> None:
    """One batch's work: parse, chunk and embed `paths` into the shared embedding cache (no publish)."""
    snapshot = take_snapshot(config, services, ref, None)
    try:
        report.commit = snapshot.revision
        wanted = [p for p in paths if p in snapshot.files]
        strikes = Strikes(SourceState(services.state, config.name))
        chunks, _states = chunk_files(config, services, snapshot, wanted, report, RunOptions(), strikes)
    finally:
        snapshot.close()
    cache = EmbeddingCache(services.store, services.embedder.info, config.name)
    cache.load()
    flat = [c for path in wanted for c in chunks.get(path, [])]
    embed_chunks(flat, cache, services.embedder, RunOptions(), report, None)


def handle(message: dict[str, Any], config: SourceConfig, services: Services) -> RunReport:
    """Embed one batch; if it completes the job, publish (a 'locked' final run is raised to retry)."""
    refresher = Refresher(config, services)
    report = RunReport(config.name, secrets.token_hex(6), now_iso(), "fanout-batch", kind=config.kind)
    report.extra = {"job": message["job"], "batch": message["batch"]}
    embed_paths(config, services, message["paths"], message.get("ref"), report)
    progress = _mark_done(services, config.name, message["job"], message["batch"])
    report.status = "ok"
    if progress is None or progress[0] < progress[1]:
        report.extra["done"] = progress[0] if progress else None
        return report
    final = refresher.run(RunOptions(mode="full", ref=message.get("ref")))
    if final.status == "locked":
        raise ThothError(
            f"publishing job {message['job']} waits for another refresh of {config.name!r}; retrying"
        )
    if final.status in ("ok", "unchanged"):
        services.state.delete(partition(config.name), f"job#{message['job']}")
    final.extra = {**final.extra, "job": message["job"], "assembled": True, "batch": report.to_dict()}
    return final
