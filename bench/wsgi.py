"""The app the benchmarks serve under gunicorn: the product's app plus one bare route as a same-server baseline.

    gunicorn ... "bench.wsgi:create_app()"

`create_app()` takes no arguments: like `plugin:create_app()` under `brobygger run`, it reads every setting
from `BROBYGGER_*` environment variables (BROBYGGER_DATABASE_URL, BROBYGGER_REDIS_URL, BROBYGGER_SECRET_KEY,
BROBYGGER_ENCRYPTION_KEYS, BROBYGGER_RATE_LIMIT_WEBHOOKS, …; see plugin/config.py). It adds
`GET|POST /bench/bare`, which reads the request body and answers a small JSON document with 200 and
nothing else: no database, no Redis, none of the product's blueprint hooks. Whatever a product endpoint
costs above it is the product's own work.
"""

from __future__ import annotations

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from plugin import create_app as create_product_app

BARE_PATH = "/bench/bare"


def bare() -> ResponseReturnValue:
    request.get_data(cache=False)  # read the body, as the webhook view does, so both pay for receiving it
    return jsonify({"status": "ok"}), 200


def create_app() -> Flask:
    app = create_product_app()
    app.add_url_rule(BARE_PATH, "bench_bare", bare, methods=["GET", "POST"])
    return app
