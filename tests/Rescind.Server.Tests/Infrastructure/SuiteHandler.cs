using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace Rescind.Server.Tests.Infrastructure;

/// <summary>
/// On every client of a test server: names the test class that sends the request (<c>X-Rescind-Test</c>, which the
/// coverage records keep), and fails the request when the server's contract check found that the answer breaks its
/// OpenAPI document (the server then answers 500 with <c>Rescind-Contract-Violation</c>).
/// </summary>
public sealed class SuiteHandler(SuiteHandler.Owner owner) : DelegatingHandler
{
    /// <summary>The test class a server belongs to (one class fixture per class), taken from the stack of its first
    /// request that shows one: a later request sent from a helper's continuation has no test frame on its stack, so
    /// reading the stack each time would name the class or not depending on timing.</summary>
    public sealed class Owner
    {
        public string? TestClass { get; set; }
    }

    private static readonly ConcurrentDictionary<Type, bool> IsTestClass = new();

    /// <summary>What a class marked <see cref="RandomisedRequestsAttribute"/> sends: its calls are not coverage records.</summary>
    public const string Unrecorded = "-";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Headers.Contains(Rescind.Server.Coverage.CoverageRecords.TestHeader) && (owner.TestClass ??= CallingTestClass()) is { } name)
        {
            request.Headers.TryAddWithoutValidation(Rescind.Server.Coverage.CoverageRecords.TestHeader, name);
        }
        var response = await base.SendAsync(request, cancellationToken);
        if (response.Headers.TryGetValues(Rescind.Server.Http.ContractChecks.Header, out var violation))
        {
            throw new ContractViolationException(string.Join(" ", violation));
        }
        return response;
    }

    /// <summary>The test class on the stack (its base name: a class per database shares its base's name).</summary>
    private static string? CallingTestClass()
    {
        foreach (var frame in new StackTrace(2, false).GetFrames())
        {
            var type = frame.GetMethod()?.DeclaringType;
            while (type?.DeclaringType is not null && type.Name.StartsWith('<'))
            {
                type = type.DeclaringType; // an async method's or a lambda's compiler-made class
            }
            if (type is null || type.Assembly != typeof(SuiteHandler).Assembly)
            {
                continue;
            }
            if (IsTestClass.GetOrAdd(type, t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance).Any(m => m.GetCustomAttribute<FactAttribute>() is not null)))
            {
                return type.GetCustomAttribute<RandomisedRequestsAttribute>(inherit: true) is null ? Name(type) : Unrecorded;
            }
        }
        return null;
    }

    private static string Name(Type type)
    {
        var t = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        var name = t.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick > 0 ? name[..tick] : name;
    }
}

/// <summary>A test class whose requests are generated at random (property-based): which routes it reaches varies
/// from run to run, so its calls are left out of the coverage records, which must be the same for every run.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class RandomisedRequestsAttribute : Attribute;

public sealed class ContractViolationException(string message) : Exception("The answer breaks its OpenAPI document: " + message);
