"""urlwatch's `urls.yaml`: one YAML document per job, separated by `---`.

Jobs with `url` become stories, titled by their `name`. What storydiff cannot carry over is
said per job: `command` jobs (shell commands) and jobs that POST (`method`/`data`) are skipped;
`navigate` jobs (rendered with a browser) are imported as plain URLs; filters, cookies and
headers are not carried over, because storydiff extracts the article itself. PyYAML's
safe loader reads the file (no Python objects, no code).
"""

from __future__ import annotations

from typing import Any

import yaml

from tracker.imports.common import BadImport, Entry, Outcome, Parsed

_DROPPED = ("filter", "cookies", "headers", "ignore_cached", "ssl_no_verify", "encoding")


def parse(text: str) -> Parsed:
    try:
        jobs = [job for job in yaml.safe_load_all(text) if job is not None]
    except yaml.YAMLError as exc:
        raise BadImport(f"not a valid urls.yaml: {str(exc).splitlines()[0]}") from None
    except RecursionError:  # the composer recurses once per level of [[[[... or {a: {a: ...
        raise BadImport("not a valid urls.yaml: it is nested too deeply") from None
    parsed = Parsed()
    for number, job in enumerate(jobs, start=1):
        label = f"job {number}"
        if not isinstance(job, dict):
            parsed.skipped.append(Outcome(label, "skipped", reason="not a job (a YAML mapping)"))
            continue
        _job(parsed, job, label)
    return parsed


def _job(parsed: Parsed, job: dict[str, Any], label: str) -> None:
    name = job.get("name") if isinstance(job.get("name"), str) else None
    shown = (name or label)[:300]
    if "command" in job:
        parsed.skipped.append(
            Outcome(
                shown, "skipped", reason="command jobs run shell commands; storydiff fetches URLs"
            )
        )
        return
    url = job.get("url", job.get("navigate"))
    if not isinstance(url, str):
        parsed.skipped.append(Outcome(shown, "skipped", reason="no url, navigate or command key"))
        return
    method = str(job.get("method", "GET")).upper()
    if method != "GET" or "data" in job:
        parsed.skipped.append(
            Outcome(url[:300], "skipped", reason=f"{method} jobs with data are not supported")
        )
        return
    dropped = [key for key in _DROPPED if key in job]
    if "navigate" in job:
        dropped.append("navigate (fetched without a browser)")
    note = f"not carried over: {', '.join(dropped)}" if dropped else None
    parsed.entries.append(Entry(url=url, title=name, note=note))
