using Rescind.Core.Coordination;

namespace Rescind.Server.DigiCert;

/// <summary>What must hold of DigiCert's tables at every commit (checked by <c>rescind verify</c>).</summary>
public static class DigiCertInvariants
{
    public static IEnumerable<IInvariant> All =>
    [
        // The stored status is the last audited transition: no change went unaudited.
        new SqlInvariant("digicert: each order's status is its last audited status",
            """
            SELECT 'order ' || CAST(o.id AS VARCHAR(20)) || ' is ' || o.status || ' but its audit log ends in ' || COALESCE(a.to_state, 'nothing')
            FROM digicert_orders o
            LEFT JOIN audit_log a ON a.id = (SELECT MAX(x.id) FROM audit_log x
                                             WHERE x.api = 'digicert' AND x.resource_type = 'order' AND x.resource_id = CAST(o.id AS VARCHAR(20)))
            WHERE a.to_state IS NULL OR a.to_state <> o.status
            """),
        new SqlInvariant("digicert: each request's status is its last audited status",
            """
            SELECT 'request ' || CAST(r.id AS VARCHAR(20)) || ' is ' || r.status || ' but its audit log ends in ' || COALESCE(a.to_state, 'nothing')
            FROM digicert_requests r
            LEFT JOIN audit_log a ON a.id = (SELECT MAX(x.id) FROM audit_log x
                                             WHERE x.api = 'digicert' AND x.resource_type = 'request' AND x.resource_id = CAST(r.id AS VARCHAR(20)))
            WHERE a.to_state IS NULL OR a.to_state <> r.status
            """),
        // Every audited order change emitted exactly one event; request changes are covered by their order's.
        new SqlInvariant("digicert: one event per audited order change",
            """
            SELECT 'order ' || CAST(o.id AS VARCHAR(20)) || ' has ' || CAST(ac.n AS VARCHAR(20)) || ' audit rows but ' || CAST(COALESCE(ec.n, 0) AS VARCHAR(20)) || ' events'
            FROM digicert_orders o
            JOIN (SELECT resource_id, COUNT(*) AS n FROM audit_log WHERE api = 'digicert' AND resource_type = 'order' GROUP BY resource_id) ac
              ON ac.resource_id = CAST(o.id AS VARCHAR(20))
            LEFT JOIN (SELECT resource_id, SUM(n) AS n FROM (SELECT resource_id, COUNT(*) AS n FROM outbox WHERE api = 'digicert' GROUP BY resource_id
                         UNION ALL SELECT resource_id, events AS n FROM outbox_purged WHERE api = 'digicert') e GROUP BY resource_id) ec
              ON ec.resource_id = ac.resource_id
            WHERE ec.n IS NULL OR ec.n <> ac.n
            """),
        new SqlInvariant("digicert: a certificate exactly when the order was issued",
            """
            SELECT 'order ' || CAST(id AS VARCHAR(20)) || ' is ' || status || (CASE WHEN certificate_id IS NULL THEN ' without' ELSE ' with' END) || ' a certificate'
            FROM digicert_orders
            WHERE (status IN ('issued', 'reissue_pending', 'revoked', 'expired')) <> (certificate_id IS NOT NULL)
            """),
        new SqlInvariant("digicert: refund_required only on canceled orders paid from the balance",
            """
            SELECT 'order ' || CAST(id AS VARCHAR(20)) || ' is ' || status || ', paid by ' || payment_method || ', refund_required ' || CAST(refund_required AS VARCHAR(1))
            FROM digicert_orders
            WHERE (refund_required = 1) <> (status = 'canceled' AND payment_method = 'balance')
            """),
        // needs_approval ⇔ one pending new_request; reissue_pending ⇔ one pending reissue request.
        new SqlInvariant("digicert: an open request exactly while the order waits for it",
            """
            SELECT 'order ' || CAST(o.id AS VARCHAR(20)) || ' is ' || o.status || ' with ' || CAST(
                     (SELECT COUNT(*) FROM digicert_requests r WHERE r.order_id = o.id AND r.status IN ('pending', 'submitted')) AS VARCHAR(20))
                   || ' open request(s)'
            FROM digicert_orders o
            WHERE (SELECT COUNT(*) FROM digicert_requests r WHERE r.order_id = o.id AND r.status IN ('pending', 'submitted')
                     AND r.type = CASE o.status WHEN 'needs_approval' THEN 'new_request' WHEN 'reissue_pending' THEN 'reissue' ELSE '' END)
                  <> (CASE WHEN o.status IN ('needs_approval', 'reissue_pending') THEN 1 ELSE 0 END)
               OR (o.status NOT IN ('needs_approval', 'reissue_pending')
                   AND EXISTS (SELECT 1 FROM digicert_requests r WHERE r.order_id = o.id AND r.status IN ('pending', 'submitted')))
            """),
    ];
}
