"""Database-level protection of the audit chain, where the engine allows it.

audit_log: no UPDATE, no DELETE (and on PostgreSQL no TRUNCATE). audit_head: its sequence
number only moves forward and the row cannot be deleted. Someone with rights to drop these
triggers can still tamper; `caseweave audit verify` is what detects that.
"""

from __future__ import annotations

from sqlalchemy import Connection

_SQLITE = [
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
       WHEN NEW.last_seq < OLD.last_seq OR NEW.id <> OLD.id
       BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
       BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END""",
]

_POSTGRESQL = [
    """CREATE FUNCTION caseweave_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
       FOR EACH STATEMENT EXECUTE FUNCTION caseweave_audit_append_only()""",
    """CREATE FUNCTION caseweave_audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP <> 'UPDATE' OR NEW.last_seq < OLD.last_seq OR NEW.id <> OLD.id THEN
           RAISE EXCEPTION 'audit_head only moves forward';
         END IF;
         RETURN NEW;
       END $$""",
    """CREATE TRIGGER audit_head_forward BEFORE UPDATE OR DELETE ON audit_head
       FOR EACH ROW EXECUTE FUNCTION caseweave_audit_head_forward()""",
    """CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
       FOR EACH STATEMENT EXECUTE FUNCTION caseweave_audit_append_only()""",
]

SQLITE_TRIGGERS = ("audit_log_no_update", "audit_log_no_delete", "audit_head_forward", "audit_head_no_delete")


def protect_audit_tables(connection: Connection) -> None:
    statements = _POSTGRESQL if connection.dialect.name == "postgresql" else _SQLITE
    for statement in statements:
        connection.exec_driver_sql(statement)


def unprotect_audit_tables(connection: Connection) -> None:
    """What someone tampering would do first: used by the tests that prove verify still catches it."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP TRIGGER audit_log_append_only ON audit_log")
        connection.exec_driver_sql("DROP TRIGGER audit_head_forward ON audit_head")
        connection.exec_driver_sql("DROP TRIGGER audit_head_no_truncate ON audit_head")
    else:
        for name in SQLITE_TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER {name}")
