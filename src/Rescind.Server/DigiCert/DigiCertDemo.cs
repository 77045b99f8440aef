using Rescind.Server.Cli;

namespace Rescind.Server.DigiCert;

/// <summary>DigiCert's demo, on client certificates (no CSR needed): an order waiting for pickup (cancellable), a
/// cancelled one, an issued one (refused: revoke it instead), and one whose approval is pending (refused: the approver
/// rejects its request instead [doc]). DigiCert has no deferred cancel.</summary>
public static class DigiCertDemo
{
    public static async Task<DemoApi> SeedAsync(DemoSeed seed)
    {
        async Task<DigiCertCommands.Placed> OrderAsync(bool skipApproval, string name) =>
            await seed.RunAsync(DigiCertStore.Api, "live", uow => DigiCertCommands.CreateOrderAsync(uow, new NewOrder(
                "client_premium", DigiCertRules.ClientType, name, ["recipient@example.com"], null, skipApproval, "balance", 1, "demo")));
        async Task<long> ActAsync(long id, string command) =>
            (await seed.WorldAsync(DigiCertStore.Api, uow => DigiCertCommands.ActAsync(uow, id, command))).Order.Id;
        var pickup = (await OrderAsync(true, "Demo Recipient")).Order.Id;
        var canceled = (await OrderAsync(true, "Demo Cancelled")).Order.Id;
        await seed.RunAsync(DigiCertStore.Api, "live", uow => DigiCertCommands.CancelAsync(uow, canceled, "demo"));
        var issued = await ActAsync((await OrderAsync(true, "Demo Issued")).Order.Id, DigiCertRules.Generate);
        var approval = await OrderAsync(false, "Demo Approval");
        var key = seed.Credential(DigiCertStore.Api).Secret;
        string Id(long id) => DigiCertCommands.Rid(id);
        return new DemoApi("DigiCert CertCentral", [
            new(DemoCase.Cancellable, "order", Id(pickup), DigiCertRules.WaitingPickup, "204", "digicert:" + Id(pickup)),
            new(DemoCase.Cancelled, "order", Id(canceled), DigiCertRules.Canceled, "400 invalid_status (DigiCert does not repeat a cancel)", "digicert:" + Id(canceled)),
            new(DemoCase.Refused, "order", Id(issued), DigiCertRules.Issued, "400 invalid_status: revoke an issued certificate", "digicert:" + Id(issued)),
            new(DemoCase.Refused, "order", Id(approval.Order.Id), DigiCertRules.NeedsApproval,
                $"400 invalid_status: approval pending, reject request {Id(approval.Request.Id)} instead", "digicert:" + Id(approval.Order.Id)),
        ], url => $$"""
              for ID in {{Id(pickup)}} {{Id(canceled)}} {{Id(issued)}} {{Id(approval.Order.Id)}}; do
                curl -s -w '%{http_code}\n' -X PUT {{url}}/services/v2/order/certificate/$ID/status -H "X-DC-DEVKEY: {{key}}" \
                  -H "Content-Type: application/json" -d '{"status":"canceled","note":"demo"}'
              done
              # the approver's way out of the pending approval (the order is rejected with it):
              curl -s -w '%{http_code}\n' -X PUT {{url}}/services/v2/request/{{Id(approval.Request.Id)}}/status -H "X-DC-DEVKEY: {{key}}" \
                -H "Content-Type: application/json" -d '{"status":"rejected","processor_comment":"demo"}'
            """);
    }
}
