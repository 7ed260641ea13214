"""The README's jobs, schedules, sensors and commands are the ones Dagster shows."""

from __future__ import annotations

import dagster as dg

from tests.dagster_ui.readme import cli_commands, job_of, named_as, table
from tsh_pipelines.definitions import defs

REPO = defs.get_repository_def()
JOBS = {j.name for j in REPO.get_all_jobs() if not j.name.startswith("__")}
SCHEDULES = {s.name: s for s in REPO.schedule_defs}
SENSORS = {s.name: s for s in REPO.sensor_defs}
# one claimed batch each, or the worker the sensor keeps going: no one types them
SENSOR_LAUNCHED = {"apply_webhook_events_job", "webhook_worker_job"}


def test_the_table_lists_every_job_schedule_and_sensor_as_defined() -> None:
    rows = {row.name: row for row in table()}
    assert {n for n, r in rows.items() if r.kind == "job"} == JOBS
    assert {n for n, r in rows.items() if r.kind == "schedule"} == set(SCHEDULES)
    assert {n for n, r in rows.items() if r.kind == "sensor"} == set(SENSORS)
    for name, schedule in SCHEDULES.items():
        row = rows[name]
        assert row.ticks("what")[0] == schedule.job_name, name
        assert row.ticks("when")[0] == schedule.cron_schedule, name
        assert schedule.execution_timezone in row.when, name
        assert row.default == schedule.default_status.value.lower(), name
    for name, sensor in SENSORS.items():
        row = rows[name]
        assert row.ticks("what")[0] == sensor.job_name, name
        assert f"every {sensor.minimum_interval_seconds} s" in row.when, name
        assert row.default == sensor.default_status.value.lower(), name


def test_names_in_the_prose_are_real() -> None:
    for name in named_as("job|run"):
        assert name in JOBS, f"the README calls `{name}` a job, but no job has that name"
    for name in named_as("schedule"):
        assert name in SCHEDULES, f"the README calls `{name}` a schedule"
    for name in named_as("sensor"):
        assert name in SENSORS, f"the README calls `{name}` a sensor"


def test_a_command_is_given_for_every_job_a_user_starts() -> None:
    commands = cli_commands()
    assert {job_of(c) for c in commands} == JOBS - SENSOR_LAUNCHED
    for argv in commands:
        assert argv[3:5] == ["-m", "tsh_pipelines.definitions"], argv


def test_schedules_ask_for_no_partition() -> None:
    """A scheduled sync covers every month: nothing for the schedule to pick."""
    # No instance: a test instance would stay in Dagster's load context after this test.
    for schedule in SCHEDULES.values():
        data = schedule.evaluate_tick(dg.build_schedule_context())
        assert data.run_requests, schedule.name
        for request in data.run_requests:
            assert request.partition_key is None, schedule.name
            assert not any(t.startswith("dagster/asset_partition") for t in request.tags)
