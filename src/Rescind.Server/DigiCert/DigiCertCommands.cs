using System.Text.Json;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Lifecycles;
using Rescind.Core.Mail;

namespace Rescind.Server.DigiCert;

public sealed record NewOrder(string ProductNameId, string ProductType, string CommonName, IReadOnlyList<string> Emails, string? Csr,
    bool SkipApproval, string PaymentMethod, int ValidityYears, string? Comments,
    IReadOnlyList<string>? DnsNames = null, long? OrganizationId = null, SmimeDetails? Smime = null);

/// <summary>
/// Every DigiCert write, as work inside the caller's unit of work: lock (order first, then its requests), decide
/// with the pure tables, apply, and return what happened as an <see cref="Outcome{T}"/>. The HTTP handlers render
/// it (<see cref="DigiCertEnvelope"/>); the simulation, the jobs and Rescind's own API read it.
/// </summary>
public static class DigiCertCommands
{
    /// <summary>An order with the request that placed it, or the reissue request that now waits on it.</summary>
    public sealed record Placed(OrderRow Order, RequestRow Request);

    /// <summary>An order with all its requests, as the order info shows it.</summary>
    public sealed record OrderView(OrderRow Order, IReadOnlyList<RequestRow> Requests);

    public static async Task<Outcome<Placed>> CreateOrderAsync(UnitOfWork uow, NewOrder input)
    {
        var order = new OrderRow
        {
            Id = await DigiCertStore.NextIdAsync(uow, "order"),
            AccountId = uow.Context.AccountId!,
            ProductNameId = input.ProductNameId,
            ProductType = input.ProductType,
            CommonName = input.CommonName,
            Emails = JsonSerializer.Serialize(input.Emails),
            Csr = input.Csr,
            DnsNames = input.DnsNames is { Count: > 0 } names ? JsonSerializer.Serialize(names) : null,
            OrganizationId = input.OrganizationId,
            Smime = input.Smime is null ? null : DigiCertJson.Serialize(input.Smime),
            ValidityYears = input.ValidityYears,
            PaymentMethod = input.PaymentMethod,
            Status = input.SkipApproval ? DigiCertRules.PlacedStatus(input.ProductType, input.Csr is not null) : DigiCertRules.NeedsApproval,
            DateCreated = uow.NowMs,
            DateUpdated = uow.NowMs,
            Version = 1,
        };
        await uow.ExecuteAsync(
            """
            INSERT INTO digicert_orders (id, account_id, product_name_id, product_type, common_name, emails, csr, validity_years,
                                         payment_method, status, refund_required, date_created, date_updated, version,
                                         dns_names, organization_id, smime)
            VALUES (@Id, @AccountId, @ProductNameId, @ProductType, @CommonName, @Emails, @Csr, @ValidityYears,
                    @PaymentMethod, @Status, 0, @DateCreated, @DateUpdated, @Version,
                    @DnsNames, @OrganizationId, @Smime)
            """,
            order);
        var request = await InsertRequestAsync(uow, order.Id, DigiCertStore.NewRequest,
            input.SkipApproval ? DigiCertRules.Approved : DigiCertRules.Pending, input.Comments);
        await uow.RecordAsync(new Change(DigiCertStore.Api, DigiCertStore.OrderType, Rid(order.Id), "create", null, order.Status,
            DigiCertRules.EventCreated, Payload(order)));
        await uow.RecordAsync(new Change(DigiCertStore.Api, DigiCertStore.RequestType, Rid(request.Id), "create", null, request.Status));
        await NotifyRecipientAsync(uow, order);
        return Outcome.Done(new Placed(order, request));
    }

    /// <summary>
    /// The approver approves or rejects a pending new_request: the order is placed or rejected with it. Rejecting a
    /// pending reissue request cancels the reissue, as the order's status endpoint does [doc]; a reissue needs no
    /// approval, so approving one is refused [ours].
    /// </summary>
    public static async Task<Outcome<RequestRow>> UpdateRequestStatusAsync(UnitOfWork uow, long requestId, string command, string? comment)
    {
        var accountId = uow.Context.AccountId!;
        var orderId = await DigiCertStore.OrderOfRequestAsync(uow, accountId, requestId);
        var order = orderId is { } oid ? await DigiCertStore.LockOrderAsync(uow, accountId, oid) : null;
        var request = order is null ? null : await DigiCertStore.LockRequestAsync(uow, requestId);
        if (order is null || request is null || request.OrderId != order.Id)
        {
            return Outcome<RequestRow>.Missing(Rid(requestId), DigiCertStore.RequestType);
        }
        if (request.Type == DigiCertStore.ReissueRequest && command == DigiCertRules.Approve)
        {
            return new Outcome<RequestRow>.Refused(DigiCertEnvelope.Refusal(DigiCertEnvelope.InvalidRequestType, request.Type, command, order.Id));
        }
        switch (DigiCertRules.Requests.Decide(request.Status, command))
        {
            case Decision.AlreadyDone:
                return Outcome.AlreadyDone(request);
            case Decision.Refused r:
                return new Outcome<RequestRow>.Refused(DigiCertEnvelope.Refusal(r.Code, r.State, command));
            case Decision.Transitioned rt:
                if (request.Type == DigiCertStore.ReissueRequest)
                {
                    // A pending reissue request belongs to a reissue_pending order; rejecting it cancels the reissue.
                    var cancel = DigiCertRules.Orders.Decide(order.Status, DigiCertRules.Cancel) as Decision.Transitioned
                        ?? throw new InvalidOperationException($"reissue request {request.Id} is {request.Status} but order {order.Id} is {order.Status}");
                    await CancelReissueAsync(uow, order, cancel, request, comment);
                    return Outcome.Done(request);
                }
                var orderCommand = command == DigiCertRules.Approve ? DigiCertRules.ApproveCommand(order.ProductType, order.HasCsr) : DigiCertRules.Reject;
                if (DigiCertRules.Orders.Decide(order.Status, orderCommand) is not Decision.Transitioned ot)
                {
                    // A pending request always belongs to an order that needs approval; anything else is a bug.
                    throw new InvalidOperationException($"request {request.Id} is {request.Status} but order {order.Id} is {order.Status}");
                }
                var reason = Reason(("processor_comment", comment));
                order = await ApplyOrderAsync(uow, order, ot, command, reason);
                await ApplyRequestAsync(uow, request, rt, command, comment, reason);
                if (command == DigiCertRules.Approve)
                {
                    await NotifyRecipientAsync(uow, order);
                }
                return Outcome.Done(request);
            default:
                throw new InvalidOperationException("requests have no deferred outcomes");
        }
    }

    /// <summary>
    /// Cancels an order before issuance, or its pending reissue [doc]. An order paid from the balance is marked
    /// <c>refund_required</c>, on the order and in the audit row [ours]. The vendor route and Rescind's own
    /// cancellation API come here; the order is scoped to the context's account (any account when it has none).
    /// The note is required to cancel a pending order and optional for a reissue [doc]; an order its approver
    /// rejected is already out of the system, so its cancel is done without one [ours].
    /// The vendor answers 204, so only a caller that shows the order (<paramref name="withRequests"/>) pays for
    /// reading its requests: the vendor route's cancel stays at the round trips it had.
    /// </summary>
    public static async Task<Outcome<OrderView>> CancelAsync(UnitOfWork uow, long orderId, string? note, bool withRequests = false)
    {
        var order = await DigiCertStore.LockOrderAsync(uow, uow.Context.AccountId, orderId);
        if (order is null)
        {
            return Outcome<OrderView>.Missing(Rid(orderId));
        }
        var decision = DigiCertRules.DecideOrder(order.Status, order.ProductType, order.HasCsr, DigiCertRules.Cancel);
        switch (decision)
        {
            case Decision.Refused refused:
                // The refusal points at what to do instead: reject the pending approval, or revoke the issued order.
                var approval = order.Status == DigiCertRules.NeedsApproval
                    ? await DigiCertStore.LockOpenRequestAsync(uow, order.Id, DigiCertStore.NewRequest)
                    : null;
                return new Outcome<OrderView>.Refused(DigiCertEnvelope.Refusal(refused.Code, refused.State, DigiCertRules.Cancel,
                    order.Status == DigiCertRules.NeedsApproval ? approval?.Id : order.Id));
            case Decision.AlreadyDone:
                return Outcome.AlreadyDone(new OrderView(order, withRequests ? [.. await DigiCertStore.RequestsOfOrderAsync(uow, order.Id)] : []));
        }
        var t = (Decision.Transitioned)decision;
        if (t.From == DigiCertRules.ReissuePending)
        {
            var reissue = await DigiCertStore.LockOpenRequestAsync(uow, order.Id, DigiCertStore.ReissueRequest)
                ?? throw new InvalidOperationException($"order {order.Id} is reissue_pending without a pending reissue request");
            await CancelReissueAsync(uow, order, t, reissue, note);
        }
        else if (note is null)
        {
            return new Outcome<OrderView>.Refused(DigiCertEnvelope.Refusal(DigiCertEnvelope.MissingNote, order.Status, DigiCertRules.Cancel));
        }
        else
        {
            var refund = order.PaymentMethod == "balance";
            order.RefundRequired = refund ? 1 : 0;
            await ApplyOrderAsync(uow, order, t, DigiCertRules.Cancel, Reason(("note", note), ("refund_required", refund)));
        }
        return Outcome.Done(new OrderView(order, withRequests ? [.. await DigiCertStore.RequestsOfOrderAsync(uow, order.Id)] : []));
    }

    /// <summary>A pending reissue canceled [doc]: the order back to issued, the reissue request rejected with the
    /// note (if any) as its processor_comment; one order_canceled event marked <c>reissue_canceled</c> [ours].</summary>
    private static async Task CancelReissueAsync(UnitOfWork uow, OrderRow order, Decision.Transitioned t, RequestRow reissue, string? note)
    {
        var reason = Reason(("note", note), ("reissue_request_id", reissue.Id));
        await ApplyOrderAsync(uow, order, t, DigiCertRules.Cancel, reason, extra: ("reissue_canceled", true));
        await ApplyRequestAsync(uow, reissue, (Decision.Transitioned)DigiCertRules.Requests.Decide(reissue.Status, DigiCertRules.Reject),
            DigiCertRules.Reject, note, reason);
    }

    /// <summary>Reissue of an issued order [doc]: the order waits in reissue_pending with a pending reissue request.</summary>
    public static async Task<Outcome<Placed>> ReissueAsync(UnitOfWork uow, long orderId, string? csr, string? comments)
    {
        var order = await DigiCertStore.LockOrderAsync(uow, uow.Context.AccountId, orderId);
        if (order is null)
        {
            return Outcome<Placed>.Missing(Rid(orderId));
        }
        if (DigiCertRules.DecideOrder(order.Status, order.ProductType, order.HasCsr, DigiCertRules.Reissue) is not Decision.Transitioned t)
        {
            return new Outcome<Placed>.Refused(DigiCertEnvelope.Refusal(DigiCertRules.InvalidOrderStatus, order.Status, DigiCertRules.Reissue, order.Id));
        }
        if (csr is not null)
        {
            order.Csr = csr;
        }
        var request = await InsertRequestAsync(uow, order.Id, DigiCertStore.ReissueRequest, DigiCertRules.Pending, comments);
        await uow.RecordAsync(new Change(DigiCertStore.Api, DigiCertStore.RequestType, Rid(request.Id), "create", null, request.Status));
        order = await ApplyOrderAsync(uow, order, t, DigiCertRules.Reissue, Reason(("reissue_request_id", request.Id)));
        await NotifyRecipientAsync(uow, order);
        return Outcome.Done(new Placed(order, request));
    }

    /// <summary>Revoke of an issued order [doc]; executed at once with an approved revoke request [ours]. The
    /// value is the revoke request, with its order as the request info shows it.</summary>
    public static async Task<Outcome<RequestRow>> RevokeAsync(UnitOfWork uow, long orderId, string? comments)
    {
        var order = await DigiCertStore.LockOrderAsync(uow, uow.Context.AccountId, orderId);
        if (order is null)
        {
            return Outcome<RequestRow>.Missing(Rid(orderId), DigiCertStore.OrderType);
        }
        if (DigiCertRules.DecideOrder(order.Status, order.ProductType, order.HasCsr, DigiCertRules.Revoke) is not Decision.Transitioned t)
        {
            return new Outcome<RequestRow>.Refused(DigiCertEnvelope.Refusal(DigiCertRules.InvalidOrderStatus, order.Status, DigiCertRules.Revoke, order.Id));
        }
        var request = await InsertRequestAsync(uow, order.Id, DigiCertStore.RevokeRequest, DigiCertRules.Approved, comments);
        await uow.RecordAsync(new Change(DigiCertStore.Api, DigiCertStore.RequestType, Rid(request.Id), "create", null, request.Status));
        order = await ApplyOrderAsync(uow, order, t, DigiCertRules.Revoke, Reason(("comments", comments), ("revoke_request_id", request.Id)));
        request.OrderStatus = order.Status;
        request.CommonName = order.CommonName;
        request.ProductNameId = order.ProductNameId;
        return Outcome.Done(request);
    }

    /// <summary>
    /// An event of the outside world on one order (validate, generate, expire), for the simulation and the clock.
    /// The value is the order with its requests, as it is after the event (or was, when it had already happened).
    /// </summary>
    public static async Task<Outcome<OrderView>> ActAsync(UnitOfWork uow, long orderId, string command)
    {
        var order = await DigiCertStore.LockOrderAsync(uow, uow.Context.AccountId, orderId);
        if (order is null)
        {
            return Outcome<OrderView>.Missing(Rid(orderId));
        }
        switch (DigiCertRules.DecideOrder(order.Status, order.ProductType, order.HasCsr, command))
        {
            case Decision.Refused r:
                return new Outcome<OrderView>.Refused(DigiCertEnvelope.Refusal(r.Code, r.State, command, order.Id));
            case Decision.AlreadyDone:
                return Outcome.AlreadyDone(new OrderView(order, [.. await DigiCertStore.RequestsOfOrderAsync(uow, order.Id)]));
            case Decision.Transitioned t:
                var reissue = t.From == DigiCertRules.ReissuePending
                    ? await DigiCertStore.LockOpenRequestAsync(uow, order.Id, DigiCertStore.ReissueRequest)
                    : null;
                DigiCertCertificates.Issued? certificate = null;
                if (t.To == DigiCertRules.Issued)
                {
                    order.CertificateId = await DigiCertStore.NextIdAsync(uow, "certificate");
                    order.DateIssued = uow.NowMs;
                    // Validity runs from the first issuance; a reissue keeps the order's end date [ours].
                    order.ValidTill ??= Time.ToUnixMs(uow.Now.AddDays(365 * order.ValidityYears));
                    certificate = DigiCertCertificates.Issue(order, uow.Now, Time.FromUnixMs(order.ValidTill.Value));
                    order.SerialNumber = certificate.SerialNumber;
                    order.Thumbprint = certificate.Thumbprint;
                }
                order = await ApplyOrderAsync(uow, order, t, command, reissue is null ? null : Reason(("reissue_request_id", reissue.Id)));
                if (certificate is not null)
                {
                    await DigiCertStore.StoreChainAsync(uow, order.Id, certificate.ChainPem);
                }
                if (reissue is not null)
                {
                    var requestCommand = t.To == DigiCertRules.Issued ? DigiCertRules.Approve : DigiCertRules.Reject;
                    await ApplyRequestAsync(uow, reissue, (Decision.Transitioned)DigiCertRules.Requests.Decide(reissue.Status, requestCommand),
                        requestCommand, t.To == DigiCertRules.Expired ? "The certificate expired before the reissue completed." : null, null);
                }
                return Outcome.Done(new OrderView(order, [.. await DigiCertStore.RequestsOfOrderAsync(uow, order.Id)]));
            default:
                throw new InvalidOperationException("orders have no deferred outcomes");
        }
    }

    private static async Task<RequestRow> InsertRequestAsync(UnitOfWork uow, long orderId, string type, string status, string? comments)
    {
        var processed = status is DigiCertRules.Approved or DigiCertRules.Rejected;
        var row = new RequestRow
        {
            Id = await DigiCertStore.NextIdAsync(uow, "request"),
            AccountId = uow.Context.AccountId!,
            OrderId = orderId,
            Type = type,
            Status = status,
            RequesterId = uow.Context.Actor.Id,
            ProcessorId = processed ? uow.Context.Actor.Id : null,
            Comments = comments,
            Date = uow.NowMs,
            DateProcessed = processed ? uow.NowMs : null,
            Version = 1,
        };
        await uow.ExecuteAsync(
            """
            INSERT INTO digicert_requests (id, account_id, order_id, type, status, requester_id, processor_id, comments, date, date_processed, version)
            VALUES (@Id, @AccountId, @OrderId, @Type, @Status, @RequesterId, @ProcessorId, @Comments, @Date, @DateProcessed, @Version)
            """,
            row);
        // The acting key's user, as the request's readers show it (joined there; filled here for the answer at hand).
        var user = await uow.QuerySingleOrDefaultAsync<UserRow>(
            "SELECT u.id, u.first_name, u.last_name, u.email FROM digicert_keys k JOIN digicert_users u ON u.id = k.user_id WHERE k.credential_id = @Id",
            new { uow.Context.Actor.Id });
        if (user is not null)
        {
            (row.RequesterUserId, row.RequesterFirstName, row.RequesterLastName, row.RequesterEmail) = (user.Id, user.FirstName, user.LastName, user.Email);
            if (processed)
            {
                (row.ProcessorUserId, row.ProcessorFirstName, row.ProcessorLastName, row.ProcessorEmail) = (user.Id, user.FirstName, user.LastName, user.Email);
            }
        }
        return row;
    }

    /// <summary>One transition of a locked order: the conditional update of every mutable column, the audit row and
    /// its event. The row's fields other than the status may have been changed by the caller beforehand.</summary>
    private static async Task<OrderRow> ApplyOrderAsync(UnitOfWork uow, OrderRow row, Decision.Transitioned t, string action, string? reason,
        (string Name, object Value)? extra = null)
    {
        await uow.CheckpointAsync($"digicert:order:{action}");
        await uow.ExecuteExpectingAsync(1,
            """
            UPDATE digicert_orders SET status = @To, refund_required = @RefundRequired, certificate_id = @CertificateId,
                   serial_number = @SerialNumber, thumbprint = @Thumbprint, date_issued = @DateIssued, valid_till = @ValidTill, csr = @Csr,
                   date_updated = @Now, version = version + 1
            WHERE id = @Id AND version = @Version AND status = @From
            """,
            new
            {
                t.To, row.RefundRequired, row.CertificateId, row.SerialNumber, row.Thumbprint, row.DateIssued, row.ValidTill, row.Csr,
                Now = uow.NowMs, row.Id, row.Version, t.From,
            });
        row.Status = t.To;
        row.DateUpdated = uow.NowMs;
        row.Version++;
        await uow.RecordAsync(new Change(DigiCertStore.Api, DigiCertStore.OrderType, Rid(row.Id), action, t.From, t.To, t.Event,
            Payload(row, reason, extra), reason));
        return row;
    }

    private static async Task ApplyRequestAsync(UnitOfWork uow, RequestRow row, Decision.Transitioned t, string action, string? processorComment, string? reason)
    {
        await uow.ExecuteExpectingAsync(1,
            """
            UPDATE digicert_requests SET status = @To, processor_id = @ProcessorId, processor_comment = @processorComment,
                   date_processed = @Now, version = version + 1
            WHERE id = @Id AND version = @Version AND status = @From
            """,
            new { t.To, ProcessorId = uow.Context.Actor.Id, processorComment, Now = uow.NowMs, row.Id, row.Version, t.From });
        row.Status = t.To;
        row.Version++;
        await uow.RecordAsync(new Change(DigiCertStore.Api, DigiCertStore.RequestType, Rid(row.Id), action, t.From, t.To, Reason: reason));
    }

    /// <summary>The recipient's email for a client certificate that now waits for them [doc]: validate the email
    /// (with a CSR, pending) or generate the certificate from the link (without, waiting_pickup).</summary>
    private static Task NotifyRecipientAsync(UnitOfWork uow, OrderRow order)
    {
        if (order.ProductType != DigiCertRules.ClientType || DigiCertJson.Emails(order) is not [var to, ..])
        {
            return Task.CompletedTask;
        }
        return order.Status switch
        {
            DigiCertRules.WaitingPickup => MailSink.SendAsync(uow, to, "Your client certificate is ready to generate",
                $"Generate and install the certificate for {order.CommonName} from this link: /operator/digicert/orders/{order.Id}/generate", Rid(order.Id)),
            DigiCertRules.ReissuePending when !order.HasCsr => MailSink.SendAsync(uow, to, "Your reissued client certificate is ready to generate",
                $"Generate and install the reissued certificate for {order.CommonName} from this link: /operator/digicert/orders/{order.Id}/generate", Rid(order.Id)),
            DigiCertRules.Pending => MailSink.SendAsync(uow, to, "Validate your email address",
                $"Confirm that you control {to} to receive the certificate for {order.CommonName}: /operator/digicert/orders/{order.Id}/validate", Rid(order.Id)),
            _ => Task.CompletedTask,
        };
    }

    public static string Rid(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The audit reason as a small JSON object, so the audit log API can give back note and refund flag.</summary>
    private static string? Reason(params (string Name, object? Value)[] fields)
    {
        var present = fields.Where(f => f.Value is not null).ToDictionary(f => f.Name, f => f.Value);
        return present.Count == 0 ? null : JsonSerializer.Serialize(present, DigiCertJson.Options);
    }

    private static string Payload(OrderRow o, string? reason = null, (string Name, object Value)? extra = null)
    {
        var payload = new Dictionary<string, object?>
        {
            ["order_id"] = o.Id,
            ["status"] = o.Status,
            ["product_name_id"] = o.ProductNameId,
            ["common_name"] = o.CommonName,
        };
        if (o.CertificateId is { } c)
        {
            payload["certificate_id"] = c;
        }
        if (reason is not null)
        {
            foreach (var p in JsonDocument.Parse(reason).RootElement.EnumerateObject())
            {
                payload[p.Name] = p.Value.Clone();
            }
        }
        if (extra is { } e)
        {
            payload[e.Name] = e.Value;
        }
        return JsonSerializer.Serialize(payload, DigiCertJson.Options);
    }
}
