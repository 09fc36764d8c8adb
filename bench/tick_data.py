"""The cron tick's data set on PostgreSQL: 1,000,000 follow-ups over several tenants, and everything else the
tick and the jobs it enqueues every minute read (notices, deliveries, webhook deliveries, write-backs,
installations, cadences, referrals), generated with set-based SQL like bench/generate.py.

Every date is relative to one fixed `anchor` (today's 07:30 in Oslo, or yesterday's when that is still
ahead), kept in the marker with the rest of the facts. The bench ticks at anchor + 1, 2, … minutes, so a
rebuilt or reused data set gives every run the same work. Besides the bulk, each minute after the anchor
has its own "arm" rows (reason 'tick arm …'): follow-ups entering the tick's one-day window, snoozes ending,
snoozes entering the wake-up horizon; recruiters' digest times are spread over 07:00 to 08:59 local.
`rearm` undoes whatever earlier ticks past the anchor did, so the next run finds the same news again.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import text

from bench.common import ENCRYPTION_KEY, MARKER_DDL, SECRET_KEY, read_marker
from bench.generate import pick
from plugin import create_app
from plugin.extension import get_state
from plugin.followups import jobs as notify
from plugin.models import Installation, Recruiter, Vendor
from plugin.privacy import retention
from plugin.tenancy import tenants

REDIS_URL = "redis://127.0.0.1:6379/10"
DATA_VERSION = 3  # raised whenever the generated data changes: an older data set is rebuilt
TENANT_PREFIX = "Tick bench tenant"
FULL = {"tenants": 20, "recruiters_per_tenant": 25, "people": 200_000, "followups": 1_000_000,
        "webhook_deliveries": 300_000, "writebacks": 100_000, "cadences": 100_000, "references": 2_000,
        "referrals": 100_000, "digest_days": 180}
ARM_MINUTES = 90  # minutes after the anchor that carry their own new work
ARM_PER_MINUTE = {"entering": 20, "waking": 10, "wake_notice": 10}
STRANDED = {"webhooks": 20, "writebacks": 30, "retries": 5, "stale_claims": 3}


def counts(scale: float) -> dict[str, int]:
    n = {k: v if k in ("tenants", "recruiters_per_tenant", "digest_days") else max(100, round(v * scale))
         for k, v in FULL.items()}
    n["references"] = max(n["references"], n["tenants"] * 5)
    n["people"] -= n["people"] % n["tenants"]  # people are spread over tenants by index modulo tenants
    n["cadences"] = min(n["cadences"], n["people"] - n["references"])
    return n


def make_app(url: str) -> Flask:
    return create_app({
        "INSTANCE_PATH": os.path.join(tempfile.gettempdir(), "brobygger-bench-tick-instance"),
        "BROBYGGER_DATABASE_URL": url,
        "BROBYGGER_REDIS_URL": REDIS_URL,
        "BROBYGGER_SECRET_KEY": SECRET_KEY,
        "BROBYGGER_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "BROBYGGER_BASE_URL": "http://brobygger.bench",
    })


def anchor_now(real_now: datetime) -> datetime:
    """The latest 07:30 in Oslo that is not ahead of `real_now`, in UTC (07:30: digests are being made)."""
    oslo = ZoneInfo("Europe/Oslo")
    local = real_now.astimezone(oslo)
    at = local.replace(hour=7, minute=30, second=0, microsecond=0)
    if at > local:
        at -= timedelta(days=1)
    return at.astimezone(UTC)


def _ts(moment: datetime) -> str:
    return f"'{moment.isoformat()}'::timestamptz"


def steps(n: dict[str, int], anchor: datetime) -> list[tuple[str, str]]:
    """(label, SQL) in order; the temporary tables bt, brec, bp, binst map indexes to ids."""
    a = _ts(anchor)
    T, R, P, F = n["tenants"], n["recruiters_per_tenant"], n["people"], n["followups"]
    REF = n["references"]
    fu_status = pick(["done", "cancelled", "open", "snoozed"], [58, 17, 20, 5], "q.r0")
    owner = f"(q.pidx % {T}) * {R} + floor(q.r1 * {R})::int"
    return [
        ("seed", "SELECT setseed(0.17)"),
        ("index maps", f"""
            CREATE TEMP TABLE bt AS SELECT row_number() OVER (ORDER BY name) - 1 AS idx, id FROM tenants
                WHERE name LIKE '{TENANT_PREFIX}%';
            ALTER TABLE bt ADD PRIMARY KEY (idx);
            CREATE TEMP TABLE brec AS SELECT row_number() OVER (ORDER BY bt.idx, r.email) - 1 AS idx, r.id,
                bt.idx AS tidx, bt.id AS tenant_id FROM recruiters r JOIN bt ON bt.id = r.tenant_id;
            ALTER TABLE brec ADD PRIMARY KEY (idx);
            CREATE TEMP TABLE binst AS SELECT DISTINCT ON (bt.idx) bt.idx AS tidx, i.id FROM installations i
                JOIN bt ON bt.id = i.tenant_id WHERE i.active ORDER BY bt.idx, i.id;
            ALTER TABLE binst ADD PRIMARY KEY (tidx);
            CREATE TEMP TABLE bp AS SELECT g - 1 AS idx, gen_random_uuid() AS id, (g - 1) % {T} AS tidx
                FROM generate_series(1, {P}) g;
            ALTER TABLE bp ADD PRIMARY KEY (idx);
            ANALYZE bt; ANALYZE brec; ANALYZE binst; ANALYZE bp"""),
        ("people", f"""
            INSERT INTO people (id, tenant_id, first_name, last_name, phones, languages, interests, work_history,
                                tags, status, owner_id, lawful_basis, data_source, collected_at,
                                art14_notice_sent_at, do_not_contact, name_key, last_name_key, employer_key,
                                created_at, updated_at)
            SELECT p.id, t.id, 'Tick', 'Person ' || p.idx, '[]', '[]', '[]', '[]', '[]', 'passive', rc.id,
                   'legitimate_interest', 'bench', {a} - interval '800 days', {a} - interval '798 days',
                   p.idx % 100 = 0, 'tick person ' || p.idx, 'person ' || p.idx, '',
                   {a} - interval '800 days', {a} - interval '800 days'
            FROM bp p JOIN bt t ON t.idx = p.tidx JOIN brec rc ON rc.idx = p.tidx * {R} + (p.idx / {T}) % {R}"""),
        ("follow-ups", f"""
            INSERT INTO followups (id, tenant_id, person_id, owner_id, reason, kind, due_at, status, snoozed_until,
                                   note, completed_at, created_at, updated_at)
            SELECT gen_random_uuid(), p.tenant_id, p.id, rc.id, 'Tick bench follow-up ' || q.g,
                   (ARRAY['manual','connect_and_thank','cadence','role_opening'])[1 + q.g % 4], s.due, s.status,
                   CASE WHEN s.status = 'snoozed' THEN s.due END, '',  -- snoozing sets both (followups.snooze)
                   -- made two weeks ahead of their time, and never changed after the anchor
                   CASE WHEN s.status = 'done' THEN s.due + q.r3 * interval '3 days' END,
                   least(s.due - interval '14 days', {a} - interval '1 day'),
                   least(s.due - interval '14 days', {a} - interval '1 day')
            FROM (SELECT g, floor(random() * {P})::int AS pidx, random() AS r0, random() AS r1, random() AS r2,
                         random() AS r3 FROM generate_series(1, {F}) g) q
            JOIN LATERAL (SELECT {fu_status} AS status) st ON true
            JOIN LATERAL (SELECT st.status,
                                 CASE st.status WHEN 'open' THEN {a} + (q.r2 * 240 - 180) * interval '1 day'
                                                WHEN 'snoozed' THEN {a} + q.r3 * interval '21 days'
                                                ELSE {a} - q.r2 * interval '730 days' END AS due) s ON true
            JOIN (SELECT bp.idx, bp.id, t.id AS tenant_id FROM bp JOIN bt t ON t.idx = bp.tidx) p ON p.idx = q.pidx
            JOIN brec rc ON rc.idx = {owner}"""),
        ("arm rows", _arm_sql(anchor, R)),
        ("old notices", f"""
            INSERT INTO notices (id, tenant_id, recruiter_id, kind, subject_type, subject_id, key, created_at,
                                 digested_at)
            SELECT gen_random_uuid(), f.tenant_id, f.owner_id, 'due', 'followup', f.id,
                   'due:' || replace(f.id::text, '-', '') || ':' || replace(f.owner_id::text, '-', '') || ':'
                       || to_char(f.due_at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MI'),
                   f.due_at - interval '1 day', f.due_at - interval '16 hours'
            FROM followups f
            WHERE f.tenant_id IN (SELECT id FROM bt) AND f.due_at <= {a} - interval '1 day'
              AND f.status <> 'snoozed' AND random() < 0.6"""),
        ("old digests", f"""
            INSERT INTO deliveries (id, tenant_id, recruiter_id, kind, key, due_at, status, attempts, claimed_at,
                                    sent_at, message_id, payload)
            SELECT gen_random_uuid(), rc.tenant_id, rc.id, 'digest',
                   'digest:' || rc.id || ':' || to_char(({a} - d * interval '1 day') AT TIME ZONE 'Europe/Oslo',
                                                         'YYYY-MM-DD'),
                   {a} - d * interval '1 day', CASE WHEN random() < 0.95 THEN 'sent' ELSE 'skipped' END, 1,
                   {a} - d * interval '1 day', {a} - d * interval '1 day' + interval '2 seconds', NULL,
                   jsonb_build_object('local_date', to_char({a} - d * interval '1 day', 'YYYY-MM-DD'))
            FROM brec rc CROSS JOIN generate_series(1, {n["digest_days"]}) d"""),
        ("stranded deliveries", f"""
            INSERT INTO deliveries (id, tenant_id, recruiter_id, kind, key, due_at, status, attempts, claimed_at,
                                    payload)
            SELECT gen_random_uuid(), rc.tenant_id, rc.id, 'digest',
                   'digest:' || rc.id || ':1999-01-' || lpad(g::text, 2, '0'),
                   CASE WHEN g <= {STRANDED["retries"]} THEN {a} + g * interval '4 minutes'
                        ELSE {a} - interval '1 hour' END,
                   CASE WHEN g <= {STRANDED["retries"]} THEN 'pending' ELSE 'sending' END, 1,
                   CASE WHEN g <= {STRANDED["retries"]} THEN NULL ELSE {a} - interval '30 minutes' END,
                   '{{"local_date": "1999-01-01"}}'
            FROM generate_series(1, {STRANDED["retries"] + STRANDED["stale_claims"]}) g JOIN brec rc ON rc.idx = g"""),
        ("webhook deliveries", f"""
            INSERT INTO webhook_deliveries (id, tenant_id, installation_id, event_id, action, candidate_ats_id,
                                            received_at, processed_at)
            SELECT gen_random_uuid(), t.id, i.id, 'evt-' || g, 'candidate_stage_change', (g % 50000)::text, s.at,
                   CASE WHEN g > {STRANDED["webhooks"]} THEN s.at + interval '2 seconds' END
            FROM generate_series(1, {n["webhook_deliveries"]}) g
            JOIN LATERAL (SELECT CASE WHEN g > {STRANDED["webhooks"]} THEN {a} - random() * interval '180 days'
                                      ELSE now() - interval '10 minutes' END AS at, g AS k) s ON true
            JOIN bt t ON t.idx = g % {T} JOIN binst i ON i.tidx = t.idx"""),
        ("write-backs", f"""
            INSERT INTO writebacks (id, tenant_id, installation_id, person_id, candidate_ats_id, kind, text, status,
                                    attempts, created_at, done_at)
            SELECT gen_random_uuid(), t.id, i.id, p.id, (g % 50000)::text,
                   CASE WHEN g % 3 = 0 THEN 'tag' ELSE 'note' END, 'Bench note ' || g,
                   CASE WHEN g <= {STRANDED["writebacks"]} THEN 'pending' WHEN g % 50 = 0 THEN 'failed'
                        ELSE 'done' END,
                   1, s.at, CASE WHEN g > {STRANDED["writebacks"]} THEN s.at + interval '1 second' END
            FROM generate_series(1, {n["writebacks"]}) g
            JOIN LATERAL (SELECT CASE WHEN g > {STRANDED["writebacks"]} THEN {a} - random() * interval '365 days'
                                      ELSE now() - interval '2 hours' END AS at, g AS k) s ON true
            JOIN bp p ON p.idx = (g * 7) % {P} JOIN bt t ON t.idx = p.tidx JOIN binst i ON i.tidx = t.idx"""),
        ("cadences", f"""
            INSERT INTO cadences (id, tenant_id, person_id, tier, ideal_days, max_days, last_touch_at, status,
                                  created_at, updated_at)
            SELECT gen_random_uuid(), t.id, p.id, 'standard', 90, 180, {a} - random() * interval '400 days',
                   CASE WHEN p.idx % 10 = 0 THEN 'paused' ELSE 'active' END, {a}, {a}
            FROM bp p JOIN bt t ON t.idx = p.tidx WHERE p.idx < {n["cadences"]}"""),
        ("references", f"""
            CREATE TEMP TABLE bref AS SELECT g - 1 AS idx, gen_random_uuid() AS id, p.id AS person_id,
                p.tidx FROM generate_series(1, {REF}) g JOIN bp p ON p.idx = {P - REF} + g - 1;
            ALTER TABLE bref ADD PRIMARY KEY (idx);
            ANALYZE bref;
            INSERT INTO "references" (id, tenant_id, kind, person_id, note, created_at, updated_at)
            SELECT r.id, t.id, 'candidate', r.person_id, '', {a}, {a} FROM bref r JOIN bt t ON t.idx = r.tidx"""),
        ("referrals", f"""
            INSERT INTO referrals (id, tenant_id, reference_id, person_id, channel, prompted, status, note,
                                   referred_at, status_changed_at, origin, credited, created_at, updated_at)
            SELECT gen_random_uuid(), t.id, r.id, p.id, 'email', false,
                   {pick(["received", "contacted", "in_process", "hired", "not_hired", "parked"],
                         [25, 25, 15, 5, 20, 10], "s.r1")},
                   '', s.at, s.at + s.r2 * interval '20 days', 'api', true, s.at, s.at
            FROM (SELECT g, random() AS r1, random() AS r2, {a} - random() * interval '365 days' AS at
                  FROM generate_series(0, {n["referrals"] - 1}) g) s
            JOIN bref r ON r.idx = s.g % {REF} JOIN bt t ON t.idx = r.tidx
            -- a person of the reference's tenant (people are spread over tenants by index modulo T)
            JOIN bp p ON p.idx = (((s.g / {REF}) * 7919 + s.g) % {P // T}) * {T} + r.tidx
            ON CONFLICT DO NOTHING"""),
    ]


def _arm_sql(anchor: datetime, recruiters: int) -> str:
    """Per minute m after the anchor: follow-ups that enter the one-day window at m, snoozes that end at
    m (woken), snoozes whose end enters the wake-up horizon (3 days) at m. Owners and people rotate.
    A snoozed follow-up is due when its snooze ends, as `followups.snooze` sets it."""
    a = _ts(anchor)
    parts = []
    for label, per, status, due, until in (
            ("entering", ARM_PER_MINUTE["entering"], "open",
             f"{a} + interval '1 day' + (m - 0.5) * interval '1 minute'", "NULL"),
            ("waking", ARM_PER_MINUTE["waking"], "snoozed", f"{a} + (m - 0.5) * interval '1 minute'",
             f"{a} + (m - 0.5) * interval '1 minute'"),
            ("wake notice", ARM_PER_MINUTE["wake_notice"], "snoozed",
             f"{a} + interval '3 days' + (m - 0.5) * interval '1 minute'",
             f"{a} + interval '3 days' + (m - 0.5) * interval '1 minute'")):
        parts.append(f"""
            INSERT INTO followups (id, tenant_id, person_id, owner_id, reason, kind, due_at, status, snoozed_until,
                                   note, created_at, updated_at)
            SELECT gen_random_uuid(), t.id, p.id, rc.id, 'tick arm {label} ' || m || '/' || k, 'manual', {due},
                   '{status}', {until}, '', {a} - interval '7 days', {a} - interval '7 days'
            FROM generate_series(1, {ARM_MINUTES}) m CROSS JOIN generate_series(1, {per}) k
            JOIN bp p ON p.idx = m * {per} + k JOIN bt t ON t.idx = p.tidx
            JOIN brec rc ON rc.idx = p.tidx * {recruiters} + (m + k) % {recruiters}""")
    return ";".join(parts)


def create_tenants(app: Flask, n: dict[str, int]) -> None:
    """Tenants (through the service, for their encrypted secrets), recruiters and one active installation
    each (plus a few inactive ones the tick must skip); digest times spread over 07:00 to 08:59."""
    state = get_state(app)
    R = n["recruiters_per_tenant"]
    with state.sessions() as session:
        for ti in range(n["tenants"]):
            tenant = tenants.create(session, state.vault, f"{TENANT_PREFIX} {ti:02d}").tenant
            for ri in range(R):
                slot = (ti * R + ri) % 120
                session.add(Recruiter(tenant_id=tenant.id, email=f"r{ri:02d}@tenant{ti:02d}.bench.example",
                                      name=f"Recruiter {ti:02d}-{ri:02d}", is_admin=ri == 0,
                                      digest_time=f"{7 + slot // 60:02d}:{slot % 60:02d}"))
            for active in (True, False) if ti < 3 else (True,):
                session.add(Installation(
                    tenant_id=tenant.id, vendor=Vendor.GREENHOUSE, name="Greenhouse", active=active,
                    base_url="http://127.0.0.1:9/greenhouse",
                    credentials_encrypted=state.vault.encrypt_json({"api_key": "bench"}),
                    webhook_secret_encrypted=state.vault.encrypt("bench-webhook-secret")))
            session.commit()


def generate(app: Flask, n: dict[str, int], scale: float, log: Any = print) -> dict[str, Any]:
    """Build the data set, bring it to the anchor's steady state (one collection at the anchor, as the
    ticks before it would have left it) and write the marker. Returns the marker's facts."""
    started = time.perf_counter()
    state = get_state(app)
    anchor = anchor_now(datetime.now(UTC))
    create_tenants(app, n)
    log(f"generating at scale {scale}: " + ", ".join(f"{k} {v:,}" for k, v in n.items()))
    with state.engine.connect() as conn:
        conn.exec_driver_sql("SET synchronous_commit = off")
        conn.exec_driver_sql("SET work_mem = '256MB'")
        conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
        # The recruiters were made just now, which may be after the anchor: as if made a month before it.
        conn.execute(text("UPDATE recruiters SET created_at = :at, updated_at = :at"),
                     {"at": anchor - timedelta(days=30)})
        for label, sql in steps(n, anchor):
            t0 = time.perf_counter()
            for statement in sql.split(";"):
                if statement.strip():
                    conn.exec_driver_sql(statement.replace("%", "%%"))
            conn.commit()
            log(f"  {label:<20} {time.perf_counter() - t0:7.1f} s")
    vacuum_analyze(app)
    with app.app_context():
        notify.collect(anchor.isoformat(timespec="minutes"))
        notify.collect_people(anchor.isoformat(timespec="minutes"))
    with state.engine.begin() as conn:  # the worker sent the digests due by the anchor
        conn.execute(text("UPDATE deliveries SET status = 'sent', attempts = 1, claimed_at = due_at, "
                          "sent_at = due_at WHERE status = 'pending' AND due_at <= :a"), {"a": anchor})
    with state.engine.begin() as conn:
        actual = {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                  for table in ("tenants", "recruiters", "installations", "people", "followups", "notices",
                                "deliveries", "webhook_deliveries", "writebacks", "cadences", "referrals")}
        actual["followups_by_status"] = dict(conn.execute(text(
            "SELECT status::text, count(*) FROM followups GROUP BY status")).all())
        facts = {"anchor": anchor.isoformat(), "scale": scale, "version": DATA_VERSION, "counts": n, "actual": actual,
                 "build_seconds": round(time.perf_counter() - started, 1)}
        conn.execute(text(MARKER_DDL))
        conn.execute(text("INSERT INTO bench_marker (key, value) VALUES ('tick', CAST(:v AS jsonb))"),
                     {"v": json.dumps(facts)})
    return facts


def vacuum_analyze(app: Flask) -> None:
    with get_state(app).engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")  # statistics and visibility map, as autovacuum would


def marker(app: Flask) -> dict[str, Any] | None:
    with get_state(app).engine.begin() as conn:
        read_marker(conn)  # creates the marker table when missing
        row = conn.execute(text("SELECT value FROM bench_marker WHERE key = 'tick'")).first()
        return row[0] if row else None


def worker_caught_up(app: Flask, now: datetime) -> None:
    """What a worker keeping up would have done by `now`: today's digest rows sent, the day's retention
    run recorded for every tenant. The stranded rows (their ATS or mail server failing) stay as they are."""
    state = get_state(app)
    with state.engine.begin() as conn:
        conn.execute(text("UPDATE deliveries SET status = 'sent', attempts = 1, claimed_at = :now, sent_at = :now "
                          "WHERE status = 'pending' AND kind = 'digest' AND due_at <= :now AND key NOT LIKE :old"),
                     {"now": now, "old": "%:1999-%"})
        tenant_ids = list(conn.execute(text("SELECT id FROM tenants")).scalars())
    for tenant_id in tenant_ids:
        retention.mark_retention_done(state.redis, tenant_id, f"{now:%Y%m%d}")


def rearm(app: Flask, anchor: datetime) -> dict[str, int]:
    """Undo what ticks after the anchor did: their notices, woken snoozes, new digest rows; empty Redis db 10."""
    state = get_state(app)
    a = {"a": anchor}
    with state.engine.begin() as conn:
        undone = {
            "notices": conn.execute(text("DELETE FROM notices WHERE created_at > :a"), a).rowcount,
            "woken": conn.execute(text(
                "UPDATE followups SET status = 'snoozed', updated_at = :a - interval '1 day' "
                "WHERE status = 'open' AND snoozed_until > :a"), a).rowcount,
            "digests": conn.execute(text(
                "DELETE FROM deliveries WHERE kind = 'digest' AND due_at > :a "
                "AND key NOT LIKE :old"), {**a, "old": "%:1999-%"}).rowcount,
        }
    state.redis.flushdb()
    return undone
