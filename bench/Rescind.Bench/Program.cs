using Rescind.Bench;

return args.FirstOrDefault() switch
{
    "cancel" => await CancelBench.RunAsync(args[1..]),
    "webhooks" => await WebhookBench.RunAsync(args),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Rescind.Bench cancel [--quick] [--database CS] [--out DIR]  |  webhooks [--events N] [--database CS] [--out FILE]");
    return 2;
}
