namespace Rescind.Server.Cli;

/// <summary>A usage error: the message is printed with the verb's usage and the process exits with 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// Minimal option parsing: <c>--name value</c>, <c>--name=value</c> and flags, with every option declared so
/// that a typo is an error rather than silently ignored.
/// </summary>
public sealed class CliArgs
{
    private readonly Dictionary<string, string?> values = new(StringComparer.Ordinal);

    private CliArgs()
    {
    }

    public List<string> Positional { get; } = [];

    public bool Help { get; private set; }

    public static CliArgs Parse(IReadOnlyList<string> args, string[] valueOptions, string[] flags)
    {
        var parsed = new CliArgs();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a is "--help" or "-h")
            {
                parsed.Help = true;
                continue;
            }
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                parsed.Positional.Add(a);
                continue;
            }
            var eq = a.IndexOf('=', StringComparison.Ordinal);
            var name = eq > 0 ? a[2..eq] : a[2..];
            if (flags.Contains(name))
            {
                if (eq > 0)
                {
                    throw new UsageException($"--{name} takes no value");
                }
                parsed.values[name] = null;
            }
            else if (valueOptions.Contains(name))
            {
                var value = eq > 0 ? a[(eq + 1)..] : i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null;
                if (string.IsNullOrEmpty(value))
                {
                    throw new UsageException($"--{name} needs a value");
                }
                parsed.values[name] = value;
            }
            else
            {
                throw new UsageException($"unknown option --{name}");
            }
        }
        return parsed;
    }

    public bool Has(string name) => values.ContainsKey(name);

    public string? Get(string name) => values.TryGetValue(name, out var v) ? v : null;

    public string Require(string name) => Get(name) ?? throw new UsageException($"--{name} is required");
}
