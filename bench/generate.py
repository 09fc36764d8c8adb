"""Build the large benchmark tenant on PostgreSQL with set-based SQL (INSERT … SELECT over generate_series).

One tenant: 200,000 people (one e-mail each, unique per tenant), 2,000,000 touchpoints (one person with
exactly 200: the sidebar benchmark's person), 300,000 follow-ups (10,000 open for the bench recruiter),
500,000 referrals from 2,000 references, 300 roles, 20 recruiters; dates spread over 18 months. The tenant
and its recruiters go through the services (so the sidebar secret is encrypted as the app expects); the bulk
rows are generated in the database. A `bench_marker` row, written last, makes later runs skip generation;
`--rebuild` drops the database and starts over. `--scale` multiplies every bulk count.

    python -m bench.generate [--scale 1.0] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from sqlalchemy import text

from bench.common import MARKER_DDL, RECRUITER_EMAIL, TENANT_NAME, database_url, ensure_database, make_app, read_marker
from plugin import migrate
from plugin.db import make_engine
from plugin.extension import get_state
from plugin.models import Recruiter
from plugin.tenancy import tenants

FULL = {"people": 200_000, "touchpoints": 2_000_000, "followups": 300_000, "open_mine": 10_000,
        "referrals": 500_000, "references": 2_000, "roles": 300}
RECRUITERS = 20
SIDEBAR_TOUCHPOINTS = 200
MONTHS_DAYS = 548  # 18 months


def counts(scale: float) -> dict[str, int]:
    out = {k: max(1, round(v * scale)) for k, v in FULL.items()}
    out["references"] = max(out["references"], 20)
    out["people"] = max(out["people"], out["references"] + 10, 1_000)
    out["touchpoints"] = max(out["touchpoints"], SIDEBAR_TOUCHPOINTS * 2)
    # Each person is referred by distinct references: keep referrals within people times references.
    out["referrals"] = min(out["referrals"], out["people"] * 3)
    out["followups"] = max(out["followups"], out["open_mine"] * 2)
    return out


def pick(values: list[str], weights: list[int], r: str) -> str:
    """SQL picking one of `values` with integer `weights`, from the uniform random column/expression `r`."""
    total, acc, whens = sum(weights), 0, []
    for value, weight in zip(values, weights, strict=True):
        acc += weight
        whens.append(f"WHEN {r} < {acc / total!r} THEN '{value}'")
    return f"(CASE {' '.join(whens[:-1])} ELSE '{values[-1]}' END)"


def steps(n: dict[str, int], tenant: str) -> list[tuple[str, str]]:
    """(label, SQL) in order. Temporary tables map 0-based indexes to generated UUIDs for joins."""
    t = f"'{tenant}'::uuid"
    P, TP, F, MINE = n["people"], n["touchpoints"], n["followups"], n["open_mine"]
    REF, RR, ROLES = n["references"], n["referrals"], n["roles"]
    ago = f"now() - random() * interval '{MONTHS_DAYS} days'"
    tp_kind = pick(["meeting", "interview", "call", "message", "event", "note", "positive_mention"],
                   [15, 10, 20, 30, 10, 10, 5], "s.r1")
    origin = pick(["api", "sidebar", "sync", "import"], [30, 30, 30, 10], "s.r2")
    return [
        ("seed", "SELECT setseed(0.42)"),
        ("index maps", f"""
            CREATE TEMP TABLE bp AS SELECT g - 1 AS idx, gen_random_uuid() AS id FROM generate_series(1, {P}) g;
            ALTER TABLE bp ADD PRIMARY KEY (idx);
            CREATE TEMP TABLE brole AS SELECT g - 1 AS idx, gen_random_uuid() AS id
                FROM generate_series(1, {ROLES}) g;
            ALTER TABLE brole ADD PRIMARY KEY (idx);
            CREATE TEMP TABLE bref AS SELECT g - 1 AS idx, gen_random_uuid() AS id FROM generate_series(1, {REF}) g;
            ALTER TABLE bref ADD PRIMARY KEY (idx);
            CREATE TEMP TABLE brec AS SELECT row_number() OVER (ORDER BY email) - 1 AS idx, id FROM recruiters
                WHERE tenant_id = {t};
            ALTER TABLE brec ADD PRIMARY KEY (idx);
            ANALYZE bp; ANALYZE brole; ANALYZE bref; ANALYZE brec"""),
        ("roles", f"""
            INSERT INTO roles (id, tenant_id, title, description, status, expected_opening_on, location, keywords,
                               owner_id, created_at, updated_at)
            SELECT r.id, {t}, (ARRAY['Backend developer','Data engineer','Product manager','Designer',
                        'Sales lead','Controller','HR partner','Platform engineer'])[1 + r.idx % 8] || ' ' || r.idx,
                   'Bench role', {pick(["anticipated", "confidential", "advertised", "filled", "dropped"],
                                       [30, 15, 25, 20, 10], "s.r1")},
                   (now() + (random() * 180)::int * interval '1 day')::date,
                   (ARRAY['Oslo','Bergen','Trondheim','Stavanger'])[1 + r.idx % 4],
                   jsonb_build_array('python', 'sql', 'kw' || (r.idx % 40)),
                   (SELECT id FROM brec WHERE brec.idx = r.idx % {RECRUITERS}), s.c, s.c
            FROM brole r JOIN LATERAL (SELECT random() AS r1, {ago} AS c, r.idx AS k) s ON true"""),
        ("people", f"""
            INSERT INTO people (id, tenant_id, first_name, last_name, linkedin_url, employer, title, location, phones,
                                languages, interests, work_history, tags, status, owner_id, lawful_basis,
                                data_source, collected_at, art14_notice_sent_at, do_not_contact, name_key,
                                last_name_key, employer_key, created_at, updated_at)
            SELECT p.id, {t}, s.fn, s.ln, 'https://www.linkedin.com/in/bench-' || p.idx, s.emp,
                   (ARRAY['Developer','Senior developer','Tech lead','Designer','Manager','Analyst'])[1 + p.idx % 6],
                   (ARRAY['Oslo','Bergen','Trondheim','Stavanger','Remote'])[1 + p.idx % 5],
                   '[]'::jsonb, '["nb", "en"]'::jsonb,
                   jsonb_build_array('interest' || (p.idx % 97), 'interest' || (p.idx % 13)),
                   jsonb_build_array(jsonb_build_object('employer', 'Company ' || ((p.idx * 7) % 800) || ' AS',
                                                        'title', 'Developer', 'start', '2019', 'end', '2022')),
                   CASE WHEN p.idx % 10 = 0 THEN '["python"]'::jsonb ELSE '[]'::jsonb END,
                   {pick(["passive", "in_process", "hired"], [85, 12, 3], "s.r1")},
                   (SELECT id FROM brec WHERE brec.idx = p.idx % {RECRUITERS}),
                   CASE WHEN s.r2 < 0.2 THEN 'consent' ELSE 'legitimate_interest' END,
                   'bench', s.c, s.c + interval '2 days', s.r2 < 0.01, lower(s.fn || ' ' || s.ln), lower(s.ln),
                   lower(s.emp), s.c, s.c
            FROM bp p JOIN LATERAL (
                SELECT (ARRAY['Ola','Kari','Øystein','Ingrid','Lars','Sofie','Henrik','Nora','Emil','Åse'])
                           [1 + p.idx % 10] AS fn,
                       (ARRAY['Hansen','Johansen','Olsen','Larsen','Andersen','Pedersen','Nilsen','Kristiansen',
                              'Bråten','Jensen'])[1 + (p.idx / 10) % 10] || '-' || p.idx AS ln,
                       'Company ' || (p.idx % 800) || ' AS' AS emp, random() AS r1, random() AS r2,
                       {ago} AS c, p.idx AS k) s ON true"""),
        ("person e-mails", f"""
            INSERT INTO person_emails (id, tenant_id, person_id, email, position)
            SELECT gen_random_uuid(), {t}, p.id, 'person' || p.idx || '@domain' || (p.idx % 40) || '.example', 0
            FROM bp p"""),
        ("references", f"""
            INSERT INTO "references" (id, tenant_id, kind, person_id, recruiter_id, name, email, note, created_at,
                                      updated_at)
            SELECT r.id, {t},
                   CASE WHEN r.idx < 10 THEN 'employee'
                        WHEN r.idx < {REF * 3 // 4} THEN (ARRAY['employee','candidate','client'])[1 + r.idx % 3]
                        ELSE 'outsider' END,
                   CASE WHEN r.idx >= 10 AND r.idx < {REF * 3 // 4}
                        THEN (SELECT id FROM bp WHERE bp.idx = r.idx + 1) END,
                   CASE WHEN r.idx < 10 THEN (SELECT id FROM brec WHERE brec.idx = r.idx) END,
                   CASE WHEN r.idx >= {REF * 3 // 4} THEN 'Outsider ' || r.idx END,
                   CASE WHEN r.idx >= {REF * 3 // 4} THEN 'outsider' || r.idx || '@elsewhere.example' END,
                   '', s.c, s.c
            FROM bref r JOIN LATERAL (SELECT {ago} AS c, r.idx AS k) s ON true"""),
        ("touchpoints", f"""
            INSERT INTO touchpoints (id, tenant_id, person_id, recruiter_id, kind, occurred_at, summary, origin,
                                     created_at)
            SELECT gen_random_uuid(), {t}, p.id, rc.id, {tp_kind}, s.at, 'Bench touch ' || s.g, {origin}, s.at
            FROM (SELECT g, CASE WHEN g <= {SIDEBAR_TOUCHPOINTS} THEN 0 ELSE 1 + floor(random() * {P - 1})::int END
                             AS pidx,
                         floor(random() * {RECRUITERS})::int AS ridx, random() AS r1, random() AS r2, {ago} AS at
                  FROM generate_series(1, {TP}) g) s
            JOIN bp p ON p.idx = s.pidx JOIN brec rc ON rc.idx = s.ridx"""),
        ("follow-ups", f"""
            INSERT INTO followups (id, tenant_id, person_id, owner_id, role_id, reason, kind, due_at, status,
                                   snoozed_until, note, completed_at, created_at, updated_at)
            SELECT gen_random_uuid(), {t}, p.id, rc.id, rl.id, 'Bench follow-up ' || s.g,
                   (ARRAY['manual','connect_and_thank','cadence','role_opening'])[1 + s.g % 4],
                   s.due, s.status,
                   CASE WHEN s.status = 'snoozed' THEN now() + (random() * 20 - 5) * interval '1 day' END,
                   '', CASE WHEN s.status = 'done' THEN LEAST(s.due + random() * interval '5 days', now()) END,
                   s.due - interval '14 days', s.due - interval '14 days'
            FROM (SELECT g,
                         CASE WHEN g <= {MINE} THEN 0 ELSE 1 + floor(random() * {P - 1})::int END AS pidx_raw,
                         CASE WHEN g <= {MINE + MINE * 2} THEN 0
                              ELSE 1 + floor(random() * {RECRUITERS - 1})::int END AS ridx,
                         CASE WHEN g <= {MINE} THEN 'open'
                              WHEN g <= {MINE * 3} THEN
                                  {pick(["done", "snoozed", "cancelled"], [85, 5, 10], "r0")}
                              ELSE {pick(["open", "done", "snoozed", "cancelled"], [30, 55, 5, 10], "r0")} END
                             AS status,
                         CASE WHEN g <= {MINE} THEN now() + (random() * 120 - 60) * interval '1 day'
                              ELSE {ago} + interval '30 days' END AS due,
                         random() AS rr
                  FROM (SELECT g, random() AS r0 FROM generate_series(1, {F}) g) q) s
            JOIN bp p ON p.idx = CASE WHEN s.g <= {MINE} THEN 1 + floor(s.rr * {P - 1})::int ELSE s.pidx_raw END
            JOIN brec rc ON rc.idx = s.ridx
            LEFT JOIN brole rl ON rl.idx = CASE WHEN s.rr < 0.3 THEN floor(s.rr * 1000)::int % {ROLES} END"""),
        ("referrals", f"""
            INSERT INTO referrals (id, tenant_id, reference_id, person_id, role_id, channel, prompted, status, note,
                                   referred_at, status_changed_at, origin, credited, created_at, updated_at)
            SELECT gen_random_uuid(), {t}, rf.id, p.id, rl.id,
                   {pick(["linkedin", "event", "email", "phone", "word_of_mouth", "other"],
                         [20, 15, 25, 10, 25, 5], "s.r1")},
                   s.r2 < 0.4,
                   {pick(["received", "contacted", "in_process", "hired", "not_hired", "parked"],
                         [25, 25, 15, 5, 20, 10], "s.r3")},
                   '', s.at, LEAST(s.at + s.r2 * interval '30 days', now()),
                   {pick(["api", "sidebar", "sync", "import"], [30, 30, 30, 10], "s.r1")},
                   s.i < {P}, s.at, s.at
            FROM (SELECT i, random() AS r1, random() AS r2, random() AS r3, random() AS r4, {ago} AS at,
                         i % {REF} AS refidx, ((i::bigint * 7919 + i / {P}) % {P})::int AS pidx
                  FROM generate_series(0, {RR - 1}) i) s
            JOIN bref rf ON rf.idx = s.refidx JOIN bp p ON p.idx = s.pidx
            LEFT JOIN brole rl ON rl.idx = CASE WHEN s.r4 < 0.3 THEN floor(s.r4 * 1000)::int % {ROLES} END
            ON CONFLICT DO NOTHING"""),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every bulk count (default 1.0)")
    parser.add_argument("--rebuild", action="store_true", help="drop the bench database and generate again")
    args = parser.parse_args(argv)
    url = database_url()
    ensure_database(url, drop=args.rebuild)
    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        marker = read_marker(conn)
        partial = conn.execute(text("SELECT count(*) FROM tenants WHERE name = :n"), {"n": TENANT_NAME}).scalar()
    if marker is not None:
        if marker["scale"] != args.scale:
            print(f"bench tenant exists at scale {marker['scale']}, not {args.scale}: use --rebuild to regenerate",
                  file=sys.stderr)
        print(f"bench tenant exists (built in {marker['build_seconds']} s at scale {marker['scale']}); skipping")
        engine.dispose()
        return 0
    engine.dispose()
    if partial:  # an interrupted generation: start over from an empty database
        print("an unfinished bench tenant exists: rebuilding")
        ensure_database(url, drop=True)
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
    return generate(url, counts(args.scale), args.scale)


def generate(url: str, n: dict[str, int], scale: float) -> int:
    started = time.perf_counter()
    app = make_app(url)
    state = get_state(app)
    with state.sessions() as session:
        created = tenants.create(session, state.vault, TENANT_NAME)
        tenant_id = created.tenant.id
        for i in range(RECRUITERS):
            email = RECRUITER_EMAIL if i == 0 else f"recruiter{i:02d}@bench.example"
            session.add(Recruiter(tenant_id=tenant_id, email=email, name=f"Bench Recruiter {i:02d}",
                                  ats_user_ids={"gh": str(1000 + i)}, is_admin=i == 0))
        session.commit()
    print(f"generating at scale {scale}: " + ", ".join(f"{k} {v:,}" for k, v in n.items()), flush=True)
    with state.engine.connect() as conn:
        conn.exec_driver_sql("SET synchronous_commit = off")
        conn.exec_driver_sql("SET work_mem = '256MB'")
        conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
        for label, sql in steps(n, str(tenant_id)):
            t0 = time.perf_counter()
            for statement in sql.split(";"):
                if statement.strip():
                    conn.exec_driver_sql(statement.replace("%", "%%"))
            conn.commit()
            print(f"  {label:<16} {time.perf_counter() - t0:7.1f} s", flush=True)
        t0 = time.perf_counter()
        with state.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as vacuum:
            vacuum.exec_driver_sql("VACUUM ANALYZE")  # statistics and visibility map, as autovacuum would
        print(f"  {'vacuum analyze':<16} {time.perf_counter() - t0:7.1f} s", flush=True)
        facts = _facts(conn, str(tenant_id), n)
        facts.update(scale=scale, build_seconds=round(time.perf_counter() - started, 1), counts=n)
        conn.exec_driver_sql(MARKER_DDL)
        conn.execute(text("INSERT INTO bench_marker (key, value) VALUES ('tenant', CAST(:v AS jsonb))"),
                     {"v": json.dumps(facts)})
        conn.commit()
    state.engine.dispose()
    print(f"built in {facts['build_seconds']} s: {json.dumps(facts['actual'])}")
    return 0


def _facts(conn: Any, tenant: str, n: dict[str, int]) -> dict[str, Any]:
    t = {"t": tenant}
    one = lambda sql: conn.execute(text(sql), t).scalar()  # noqa: E731
    recruiter = one(f"SELECT id FROM recruiters WHERE tenant_id = :t AND email = '{RECRUITER_EMAIL}'")
    person = one("SELECT id FROM bp WHERE idx = 0")
    actual = {table: one(f'SELECT count(*) FROM "{table}" WHERE tenant_id = :t')
              for table in ("people", "person_emails", "touchpoints", "followups", "referrals", "references",
                            "roles", "recruiters")}
    actual["open_followups_of_recruiter"] = conn.execute(text(
        "SELECT count(*) FROM followups WHERE tenant_id = :t AND owner_id = :r AND status = 'open'"),
        {**t, "r": recruiter}).scalar()
    actual["sidebar_person_touchpoints"] = conn.execute(text(
        "SELECT count(*) FROM touchpoints WHERE tenant_id = :t AND person_id = :p"), {**t, "p": person}).scalar()
    return {"tenant_id": tenant, "recruiter_id": str(recruiter), "sidebar_person_id": str(person),
            "actual": actual}


if __name__ == "__main__":
    sys.exit(main())
