"""Checks on many machines: Dramatiq over Redis (the optional `queue` extra).

    tracker run --queue redis://host:6379/0      the scheduler, the recorder and the web site
    tracker worker --queue redis://host:6379/0   any number, on any machine: fetch and read

The run process leases each due story (its `next_check_at` moves to the end of a lease, which is
also the job's token) and enqueues a check job (`broker.py`, `wire.py`); workers fetch and read
the page (`worker.py`, politeness per host shared in Redis: `politeness.py`) and enqueue the
result; one recorder thread in the run process writes it to the store (`recorder.py`), so SQLite
keeps a single writer. Jobs are at-least-once (a worker killed mid-job leaves its message unacked,
and Dramatiq's Redis broker gives it to another worker once the dead one's heartbeat is older
than `queue_heartbeat`) and idempotent: a result is recorded only while the story still waits for
that very lease, so a late duplicate, a job for a removed story or one whose lease ran out (and
was leased again) records nothing. docs/SCALING.md has the reasoning and the figures.
"""
