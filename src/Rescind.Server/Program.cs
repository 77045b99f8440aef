using Rescind.Server.Cli;

return await CliApp.RunAsync(args);

/// <summary>The entry point, named for the test host (<c>WebApplicationFactory&lt;Program&gt;</c>).</summary>
public partial class Program;
