using Rescind.Core.Jobs;
using Rescind.Core.Coordination;

namespace Rescind.Server.Circle;

/// <summary>What must hold of Circle's tables at every commit.</summary>
public static class CircleInvariants
{
    public static IEnumerable<IInvariant> All =>
    [
        new SqlInvariant("circle: each transaction's state is its last audited state",
            """
            SELECT 'transaction ' || t.id || ' is ' || t.state || ' but its audit log ends in ' || COALESCE(a.to_state, 'nothing')
            FROM circle_transactions t
            LEFT JOIN audit_log a ON a.id = (SELECT MAX(x.id) FROM audit_log x WHERE x.resource_id = t.id)
            WHERE a.to_state IS NULL OR a.to_state <> t.state
            """),
        new SqlInvariant("circle: one transactions.outbound event per audited transition",
            $"""
            SELECT 'transaction ' || t.id || ' has ' || (SELECT COUNT(*) FROM audit_log a WHERE a.resource_id = t.id)
                   || ' audit rows but ' || {RetentionJob.EventCountSql("t.id")} || ' events'
            FROM circle_transactions t
            WHERE (SELECT COUNT(*) FROM audit_log a WHERE a.resource_id = t.id) <> {RetentionJob.EventCountSql("t.id")}
            """),
        new SqlInvariant("circle: every balance is the sum of its ledger and not negative",
            """
            SELECT 'wallet ' || b.wallet_id || ' token ' || b.token_id || ' holds ' || b.amount || ' but its ledger sums to '
                   || COALESCE((SELECT SUM(l.delta) FROM circle_ledger l WHERE l.wallet_id = b.wallet_id AND l.token_id = b.token_id), 0)
            FROM circle_balances b
            WHERE b.amount < 0
               OR b.amount <> COALESCE((SELECT SUM(l.delta) FROM circle_ledger l WHERE l.wallet_id = b.wallet_id AND l.token_id = b.token_id), 0)
            """),
        // Mined originals moved their amount and paid a fee; a mined replacement paid a fee only; nothing else moved money.
        new SqlInvariant("circle: money moved exactly for what was mined",
            """
            SELECT 'transaction ' || t.id || ' (' || t.state || ') has ' || (SELECT COUNT(*) FROM circle_ledger l WHERE l.transaction_id = t.id AND l.kind = 'transfer')
                   || ' transfer and ' || (SELECT COUNT(*) FROM circle_ledger l WHERE l.transaction_id = t.id AND l.kind = 'fee') || ' fee rows'
            FROM circle_transactions t
            WHERE (SELECT COUNT(*) FROM circle_ledger l WHERE l.transaction_id = t.id AND l.kind = 'transfer')
                  <> (CASE WHEN t.state IN ('CONFIRMED', 'COMPLETE') THEN 1 ELSE 0 END)
               OR (SELECT COUNT(*) FROM circle_ledger l WHERE l.transaction_id = t.id AND l.kind = 'fee')
                  <> (CASE WHEN t.state IN ('CONFIRMED', 'COMPLETE') OR (t.state = 'CANCELLED' AND t.network_fee IS NOT NULL) THEN 1 ELSE 0 END)
               OR COALESCE(-(SELECT SUM(l.delta) FROM circle_ledger l WHERE l.transaction_id = t.id AND l.kind = 'fee'), 0) <> COALESCE(t.network_fee, 0)
            """),
        new SqlInvariant("circle: nonces are unique per wallet and below its next nonce",
            """
            SELECT 'wallet ' || w.id || ' nonce ' || t.nonce || ' is used twice or not yet issued'
            FROM circle_transactions t JOIN circle_wallets w ON w.id = t.wallet_id
            WHERE t.nonce IS NOT NULL
              AND (t.nonce >= w.next_nonce OR (SELECT COUNT(*) FROM circle_transactions u WHERE u.wallet_id = t.wallet_id AND u.nonce = t.nonce) > 1)
            """),
        new SqlInvariant("circle: idempotency records name resources that exist",
            """
            SELECT 'idempotency key ' || i.key || ' names ' || i.resource_id || ', which does not exist'
            FROM idempotency i
            WHERE i.api = 'circle' AND i.resource_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM circle_transactions t WHERE t.id = i.resource_id)
              AND NOT EXISTS (SELECT 1 FROM circle_wallets w WHERE w.id = i.resource_id)
              AND NOT EXISTS (SELECT 1 FROM circle_wallet_sets s WHERE s.id = i.resource_id)
            """),
    ];
}
