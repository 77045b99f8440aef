using Rescind.Bench;

return await WebhookBench.RunAsync(args);
