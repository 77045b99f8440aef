using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Rescind.MicroBench -- --filter '*'   (add --job short for a quick look)
BenchmarkSwitcher.FromAssembly(typeof(Rescind.MicroBench.PreCommitBatchBench).Assembly).Run(args);
