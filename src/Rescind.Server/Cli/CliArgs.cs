using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Rescind.Server.Cli;

/// <summary>A usage error found while a verb runs (after parsing): the message is printed and the process exits
/// with 2, as a parse error does.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The options of one parsed verb by their bare name (<c>"request"</c> for <c>--request</c>), for code that reads
/// them by name rather than holding the <see cref="Option"/>: each API's <c>simulate</c> verb and the storage
/// options every verb shares.
/// </summary>
public sealed class CliArgs(ParseResult parsed)
{
    public ParseResult Parsed { get; } = parsed;

    /// <summary>The values of the invoked command's own arguments, in order.</summary>
    public IReadOnlyList<string> Positional =>
        [.. Parsed.CommandResult.Children.OfType<ArgumentResult>().SelectMany(r => r.Tokens).Select(t => t.Value)];

    /// <summary>Whether the option was given (a flag: given and not <c>false</c>).</summary>
    public bool Has(string name) =>
        Given(name) is { } r && (r.Option is not Option<bool> || r.GetValueOrDefault<bool>());

    public string? Get(string name) =>
        Given(name) is { } r ? Convert.ToString(r.GetValueOrDefault<object?>(), CultureInfo.InvariantCulture) : null;

    public string Require(string name) => Get(name) ?? throw new UsageException($"--{name} is required");

    private OptionResult? Given(string name) => Parsed.GetResult("--" + name) is OptionResult { Implicit: false } r ? r : null;
}

/// <summary>
/// How Rescind's verbs declare their options, so that every API's commands read and fail alike: a value option
/// never swallows the next option as its value, numbers are checked where they are parsed (exit 2 with the same
/// message wherever they appear), and fixed choices complete in the shell.
/// </summary>
public static class CliOptions
{
    /// <summary><c>--name VALUE</c>. System.CommandLine would take <c>--name --data x</c> as the value
    /// <c>--data</c>; Rescind always answered "needs a value", so a forgotten value cannot eat the next option.</summary>
    public static Option<string> Value(string name, string helpName, string description, bool required = false, params string[] choices)
    {
        var option = new Option<string>("--" + name) { HelpName = helpName, Description = description, Required = required };
        option.Validators.Add(r =>
        {
            if (r.Tokens is [var t, ..] && (t.Value.Length == 0 || t.Value.StartsWith("--", StringComparison.Ordinal)))
            {
                r.AddError($"--{name} needs a value");
            }
        });
        if (choices.Length > 0)
        {
            option.AcceptOnlyFromAmong(choices);
        }
        return option;
    }

    /// <summary><c>--name N</c> for <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Option<long> Number(string name, string helpName, string description, long min, long max, bool required = false, string? message = null) =>
        new("--" + name)
        {
            HelpName = helpName,
            Description = description,
            Required = required,
            CustomParser = r =>
            {
                var text = r.Tokens is [var t] ? t.Value : "";
                if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
                {
                    return n;
                }
                r.AddError(message ?? $"--{name} must be a number from {min} to {max}");
                return 0;
            },
        };

    /// <summary>A flag (<c>--json</c>); <c>--json=yes</c> is an error, not a silent yes.</summary>
    public static Option<bool> Flag(string name, string description, bool hidden = false) =>
        new("--" + name) { Description = description, Hidden = hidden };

    public static Option<bool> Json(string what = "print JSON") => Flag("json", what);

    /// <summary>Accepted and ignored, where the verb always printed the same (scripts pass <c>--json</c> to every verb).</summary>
    public static Option<bool> IgnoredJson() => Flag("json", "(accepted; the output does not change)", hidden: true);

    /// <summary>The verb's action: a <see cref="UsageException"/> it throws exits with 2; its result is the exit code.</summary>
    public static Command Runs(this Command command, Func<CliArgs, Task<int>> run)
    {
        command.SetAction((parsed, _) => run(new CliArgs(parsed)));
        return command;
    }
}
