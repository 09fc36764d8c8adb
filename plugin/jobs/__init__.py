"""Background work. Jobs receive ids (never ORM objects or personal data) and call services.

`cron.tick` is the only target of `brobygger cron`: it is tiny and only enqueues real jobs under
deterministic ids, so a tick that runs twice does nothing twice and losing Redis loses nothing.
"""
