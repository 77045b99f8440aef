using Rescind.Core.Jobs;
using Rescind.Core.Coordination;

namespace Rescind.Server.Numeral;

/// <summary>What must hold of Numeral's tables at every commit.</summary>
public static class NumeralInvariants
{
    public static IEnumerable<IInvariant> All =>
    [
        // The stored state is the last audited transition: no state change went unaudited.
        new SqlInvariant("numeral: each request's state is its last audited state",
            """
            SELECT 'certificate request ' || r.id || ' is ' || r.status || ' but its audit log ends in ' || COALESCE(a.to_state, 'nothing')
            FROM numeral_requests r
            LEFT JOIN audit_log a ON a.id = (SELECT MAX(x.id) FROM audit_log x WHERE x.resource_id = r.id)
            WHERE a.to_state IS NULL OR a.to_state <> r.status
            """),
        // Every audited transition of a request emitted its event, and no event was emitted without one.
        new SqlInvariant("numeral: one event per audited transition",
            $"""
            SELECT 'certificate request ' || r.id || ' has ' || (SELECT COUNT(*) FROM audit_log a WHERE a.resource_id = r.id)
                   || ' audit rows but ' || {RetentionJob.EventCountSql("r.id")} || ' events'
            FROM numeral_requests r
            WHERE (SELECT COUNT(*) FROM audit_log a WHERE a.resource_id = r.id) <> {RetentionJob.EventCountSql("r.id")}
            """),
        // Reminders stop when a request stops waiting for its customer (cancel, expiry, submission).
        new SqlInvariant("numeral: reminders only for pending requests",
            """
            SELECT 'reminder scheduled for ' || m.request_id || ' which is ' || COALESCE(r.status, 'missing')
            FROM numeral_reminders m LEFT JOIN numeral_requests r ON r.id = m.request_id
            WHERE r.status IS NULL OR r.status <> 'pending'
            """),
        new SqlInvariant("numeral: idempotency records name resources that exist",
            """
            SELECT 'idempotency key ' || i.key || ' names ' || i.resource_id || ', which does not exist'
            FROM idempotency i
            WHERE i.api = 'numeral' AND i.resource_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM numeral_requests r WHERE r.id = i.resource_id)
              AND NOT EXISTS (SELECT 1 FROM numeral_customers c WHERE c.id = i.resource_id)
            """),
        new SqlInvariant("numeral: a certificate id exactly when fulfilled",
            """
            SELECT 'certificate request ' || id || ' is ' || status || (CASE WHEN certificate_id IS NULL THEN ' without' ELSE ' with' END) || ' a certificate id'
            FROM numeral_requests
            WHERE (status = 'fulfilled') <> (certificate_id IS NOT NULL)
            """),
        // After a 409 REQUEST_ALREADY_FULFILLED the caller is told to read the certificate [doc]: it must be there.
        new SqlInvariant("numeral: a fulfilled request's certificate exists",
            """
            SELECT 'certificate request ' || r.id || ' names certificate ' || r.certificate_id || ', which does not exist'
            FROM numeral_requests r
            WHERE r.certificate_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM numeral_certificates x WHERE x.id = r.certificate_id AND x.account_id = r.account_id)
            """),
    ];
}
