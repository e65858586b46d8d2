"""The tracker's own health for people (`/status`), programs (`/api/status`) and Prometheus
(`/metrics`), all from `Store.status_report`, the same figures as `tracker status`.

prometheus_client writes the exposition format (so scrapers get exactly what they expect) from
a registry built per request: the figures live in the database, shared by every process, not
in this process's memory, so there are no counters here to keep in step. On a private site all
three need sign-in or the API token like every other page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from tracker import clock
from tracker.check import OUTCOMES
from web.db import get_store

bp = Blueprint("status", __name__)


@bp.get("/status")
def page() -> str:
    return render_template(
        "status.html",
        report=get_store().status_report(),
        checks_run=current_app.config.get("CHECKS_RUN", False),
    )


@bp.get("/api/status")
def api() -> Response:
    return jsonify(get_store().status_report())


class _Report:
    """A one-shot collector over one status report."""

    def __init__(self, report: dict[str, Any]) -> None:
        self.report = report

    def collect(self) -> Iterator[Metric]:
        r = self.report
        stories = GaugeMetricFamily(
            "storydiff_stories", "Tracked stories by state as the checks see it", labels=["state"]
        )
        for state, n in r["stories"].items():
            stories.add_metric([state], n)
        yield stories
        for span, seconds in (("last_hour", 3600), ("last_day", 86400)):
            checks = GaugeMetricFamily(
                f"storydiff_checks_{span}",
                f"Checks logged in the last {seconds} seconds, by outcome",
                labels=["outcome"],
            )
            for outcome in OUTCOMES:
                checks.add_metric([outcome], r["checks"][span].get(outcome, 0))
            yield checks
        sched = r["scheduler"]
        yield GaugeMetricFamily(
            "storydiff_scheduler_lag_seconds",
            "How long the most overdue active story has waited past its check time",
            value=sched["lag_seconds"],
        )
        yield GaugeMetricFamily(
            "storydiff_stories_due", "Active stories whose check time has come", value=sched["due"]
        )
        if sched["last_check_at"]:
            yield GaugeMetricFamily(
                "storydiff_last_check_timestamp_seconds",
                "When the newest logged check ran (Unix time)",
                value=clock.parse(sched["last_check_at"]).timestamp(),
            )
        yield GaugeMetricFamily(
            "storydiff_outbox_backlog",
            "Notifications waiting to be sent",
            value=r["outbox"]["backlog"],
        )
        yield GaugeMetricFamily(
            "storydiff_outbox_dead",
            "Notifications given up on (dead letters)",
            value=r["outbox"]["dead"],
        )
        db = r["database"]
        yield GaugeMetricFamily(
            "storydiff_database_bytes", "Database file plus its WAL", value=db["bytes"]
        )
        for name in ("versions", "changes", "feeds"):
            yield GaugeMetricFamily(f"storydiff_{name}", f"Stored {name}", value=db[name])


@bp.get("/metrics")
def metrics() -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Report(get_store().status_report()))  # type: ignore[arg-type]
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
