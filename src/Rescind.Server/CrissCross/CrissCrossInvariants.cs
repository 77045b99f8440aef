using Rescind.Core.Jobs;
using Rescind.Core.Coordination;

namespace Rescind.Server.CrissCross;

/// <summary>What must hold of CrissCross's tables at every commit.</summary>
public static class CrissCrossInvariants
{
    public static IEnumerable<IInvariant> All =>
    [
        // The stored state is the last audited transition: no state change went unaudited.
        new SqlInvariant("crisscross: each session's state is its last audited state",
            """
            SELECT 'session ' || s.id || ' is ' || s.status || ' but its audit log ends in ' || COALESCE(a.to_state, 'nothing')
            FROM crisscross_sessions s
            LEFT JOIN audit_log a ON a.id = (SELECT MAX(x.id) FROM audit_log x WHERE x.resource_id = s.id)
            WHERE a.to_state IS NULL OR a.to_state <> s.status
            """),
        new SqlInvariant("crisscross: each transaction's state is its last audited state",
            """
            SELECT 'transaction ' || t.id || ' is ' || t.status || ' but its audit log ends in ' || COALESCE(a.to_state, 'nothing')
            FROM crisscross_transactions t
            LEFT JOIN audit_log a ON a.id = (SELECT MAX(x.id) FROM audit_log x WHERE x.resource_id = t.id)
            WHERE a.to_state IS NULL OR a.to_state <> t.status
            """),
        // A transaction is in flight exactly while its session is PROCESSING or waiting for it to end.
        new SqlInvariant("crisscross: in-flight transactions only on processing or pending-cancellation sessions",
            """
            SELECT 'session ' || s.id || ' is ' || s.status || ' with ' || COUNT(t.id) || ' transaction(s) in flight'
            FROM crisscross_sessions s
            LEFT JOIN crisscross_transactions t ON t.session_id = s.id AND t.status IN ('PENDING', 'PROCESSING')
            GROUP BY s.id, s.status
            HAVING (s.status = 'PROCESSING' AND COUNT(t.id) <> 1)
                OR (s.status = 'PENDING_CANCELLATION' AND COUNT(t.id) = 0)
                OR (s.status NOT IN ('PROCESSING', 'PENDING_CANCELLATION') AND COUNT(t.id) > 0)
            """),
        // Every audited move of a transaction out of flight, settlement and refund emitted one event.
        new SqlInvariant("crisscross: one event per transaction outcome",
            $"""
            SELECT 'transaction ' || t.id || ' has ' || (SELECT COUNT(*) FROM audit_log a WHERE a.resource_id = t.id AND a.action IN ('complete', 'fail', 'error', 'expire', 'cancel', 'settle', 'refund'))
                   || ' outcome audit rows but ' || {RetentionJob.EventCountSql("t.id")} || ' events'
            FROM crisscross_transactions t
            WHERE (SELECT COUNT(*) FROM audit_log a WHERE a.resource_id = t.id AND a.action IN ('complete', 'fail', 'error', 'expire', 'cancel', 'settle', 'refund'))
                  <> {RetentionJob.EventCountSql("t.id")}
            """),
        new SqlInvariant("crisscross: one event per session state the merchant hears of",
            $"""
            SELECT 'session ' || s.id || ' has ' || (SELECT COUNT(*) FROM audit_log a WHERE a.resource_id = s.id AND a.to_state IN ('CANCELLED', 'PENDING_CANCELLATION', 'COMPLETED', 'EXPIRED'))
                   || ' audited moves to announced states but ' || {RetentionJob.EventCountSql("s.id")} || ' events'
            FROM crisscross_sessions s
            WHERE (SELECT COUNT(*) FROM audit_log a WHERE a.resource_id = s.id AND a.to_state IN ('CANCELLED', 'PENDING_CANCELLATION', 'COMPLETED', 'EXPIRED'))
                  <> {RetentionJob.EventCountSql("s.id")}
            """),
        // Refunds never exceed what was paid, add up, and REFUNDED means all of it.
        new SqlInvariant("crisscross: refunds add up and never exceed the amount",
            """
            SELECT 'transaction ' || t.id || ' (' || t.status || ', amount ' || t.amount || ') has refunded_amount ' || t.refunded_amount
                   || ' and succeeded refunds totalling ' || COALESCE((SELECT SUM(r.amount) FROM crisscross_refunds r WHERE r.transaction_id = t.id AND r.status = 'SUCCEEDED'), 0)
            FROM crisscross_transactions t
            WHERE t.refunded_amount > t.amount
               OR t.refunded_amount <> COALESCE((SELECT SUM(r.amount) FROM crisscross_refunds r WHERE r.transaction_id = t.id AND r.status = 'SUCCEEDED'), 0)
               OR t.amount < t.refunded_amount + COALESCE((SELECT SUM(r.amount) FROM crisscross_refunds r WHERE r.transaction_id = t.id AND r.status = 'PENDING'), 0)
               OR (t.status = 'REFUNDED') <> (t.refunded_amount = t.amount AND t.refunded_amount > 0)
               OR (t.refunded_amount > 0 AND t.status NOT IN ('COMPLETED', 'SETTLED', 'REFUNDED'))
            """),
        // A refund made through the vendor's contract is audited from PENDING to its end, with one event for the end.
        new SqlInvariant("crisscross: each asynchronous refund's state is its last audited state, its end announced once",
            $"""
            SELECT 'refund ' || r.id || ' is ' || r.status || ' but its audit log ends in ' || COALESCE(a.to_state, 'nothing')
            FROM crisscross_refunds r
            LEFT JOIN audit_log a ON a.id = (SELECT MAX(x.id) FROM audit_log x WHERE x.resource_id = r.id)
            WHERE r.session_id IS NOT NULL
              AND (a.to_state IS NULL OR a.to_state <> r.status
                   OR {RetentionJob.EventCountSql("r.id")} <> CASE WHEN r.status = 'PENDING' THEN 0 ELSE 1 END)
            """),
        // A late completion is a paid transaction of a session that was cancelled while it was in flight.
        new SqlInvariant("crisscross: late completions belong to cancelled sessions",
            """
            SELECT 'transaction ' || t.id || ' is a late completion (' || t.status || ') of a session that is ' || s.status
            FROM crisscross_transactions t JOIN crisscross_sessions s ON s.id = t.session_id
            WHERE t.late_completion <> 0 AND (s.status <> 'CANCELLED' OR t.status NOT IN ('COMPLETED', 'SETTLED', 'REFUNDED'))
            """),
        new SqlInvariant("crisscross: a cancelled session has its cancellation time",
            """
            SELECT 'session ' || id || ' is ' || status || ' with cancel_requested_at ' || COALESCE(CAST(cancel_requested_at AS VARCHAR(20)), 'null')
                   || ' and cancelled_at ' || COALESCE(CAST(cancelled_at AS VARCHAR(20)), 'null')
            FROM crisscross_sessions
            WHERE (status = 'CANCELLED') <> (cancelled_at IS NOT NULL)
               OR (status IN ('CANCELLED', 'PENDING_CANCELLATION')) <> (cancel_requested_at IS NOT NULL)
            """),
        new SqlInvariant("crisscross: idempotency records name resources that exist",
            """
            SELECT 'idempotency key ' || i.key || ' names ' || i.resource_id || ', which does not exist'
            FROM idempotency i
            WHERE i.api = 'crisscross' AND i.resource_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM crisscross_sessions s WHERE s.id = i.resource_id)
              AND NOT EXISTS (SELECT 1 FROM crisscross_transactions t WHERE t.id = i.resource_id)
              AND NOT EXISTS (SELECT 1 FROM crisscross_refunds r WHERE r.id = i.resource_id)
            """),
    ];
}
