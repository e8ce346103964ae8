"""PostgreSQL refuses to change or delete an audit row, whatever code path asks.

The one update allowed is the database's own ``ON DELETE SET NULL`` when an actor's
account is deleted: the copied ``actor_name`` keeps the record readable. SQLite has
no such guard (Django flushes SQLite test databases with DELETE).
"""

from django.db import migrations

COLUMNS = [
    "id", "province_id", "actor_name", "action", "content_type_id", "object_id", "object_repr",
    "old", "new", "request_id", "ip_address", "created_at",
]

CREATE = f"""
CREATE OR REPLACE FUNCTION audit_auditentry_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND ({", ".join(f"NEW.{c}" for c in COLUMNS)})
           IS NOT DISTINCT FROM ({", ".join(f"OLD.{c}" for c in COLUMNS)}) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit entries cannot be changed or deleted' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
DROP TRIGGER IF EXISTS audit_auditentry_immutable ON audit_auditentry;
CREATE TRIGGER audit_auditentry_immutable BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_auditentry_immutable();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_auditentry_immutable ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_auditentry_immutable();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
