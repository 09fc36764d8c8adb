"""The rules. Services take a session and `tenant_id` explicitly, never read `request`, and are what
views, CLI commands and jobs all call. Public functions that write commit their own transaction."""
