using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration.Memory;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Rescind.Core.Telemetry;
using Rescind.Core.Webhooks;
using Rescind.Server.Http;

namespace Rescind.Server.Hosting;

/// <summary>
/// The <c>Rescind:Telemetry</c>, <c>Rescind:Metrics</c> and <c>Rescind:Logging</c> settings (docs/observability.md).
/// </summary>
public sealed class ObservabilityOptions
{
    /// <summary><c>Rescind:Metrics:Port</c>: a port of its own where <c>/metrics</c> is served without a
    /// credential (on <see cref="MetricsHost"/>); unset, <c>/metrics</c> is on the main port behind the operator
    /// credential.</summary>
    public int? MetricsPort { get; init; }

    /// <summary><c>Rescind:Metrics:Host</c>: the host name or address of that port (default <c>localhost</c>; <c>*</c>
    /// for every interface).</summary>
    public string MetricsHost { get; init; } = "localhost";

    /// <summary><c>Rescind:Telemetry:Traces</c>: record traces even without an OTLP endpoint (an in-process
    /// exporter, the tests). With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set they are recorded and exported anyway.</summary>
    public bool Traces { get; init; }

    /// <summary>The OTLP endpoint (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, or a per-signal one): unset, nothing leaves
    /// the node.</summary>
    public bool Otlp { get; init; }

    /// <summary><c>Rescind:Logging:Format</c>: <c>text</c> (one line per entry, the default) or <c>json</c>.</summary>
    public bool JsonLogs { get; init; }

    /// <summary><c>Rescind:Logging:Requests</c>: one Information line per request (method, path, status, api,
    /// operation, outcome, milliseconds). Off by default: the default level writes nothing per request.</summary>
    public bool LogRequests { get; init; }

    public static ObservabilityOptions From(IConfiguration c) => new()
    {
        MetricsPort = c.GetValue<int?>("Rescind:Metrics:Port"),
        MetricsHost = c["Rescind:Metrics:Host"] is { Length: > 0 } host ? host : "localhost",
        Traces = c.GetValue<bool>("Rescind:Telemetry:Traces"),
        Otlp = new[] { "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT" }
            .Any(k => !string.IsNullOrWhiteSpace(c[k])),
        JsonLogs = (c["Rescind:Logging:Format"] ?? "text").Trim().ToLowerInvariant() switch
        {
            "json" => true,
            "text" or "" => false,
            var other => throw new InvalidOperationException($"Rescind:Logging:Format must be text or json, not '{other}'"),
        },
        LogRequests = c.GetValue<bool>("Rescind:Logging:Requests"),
    };
}

/// <summary>
/// OpenTelemetry and logging for the host: the <c>Rescind</c> meter (Prometheus at <c>/metrics</c>, OTLP when
/// configured), traces (the <c>Rescind</c> source, ASP.NET Core, Npgsql) when configured, the log format, and the
/// edge middleware that counts each request of a documented route by api, operation and outcome.
/// </summary>
public static class Observability
{
    public const string MetricsPath = "/metrics";

    public static ObservabilityOptions AddObservability(this WebApplicationBuilder builder)
    {
        var options = ObservabilityOptions.From(builder.Configuration);
        builder.Services.AddSingleton(options);

        // The default level writes nothing per request: ASP.NET Core's own per-request lines (request starting and
        // finished, endpoint executing and executed, result writing, an authentication challenge) are Information,
        // so their categories start at Warning. A source inserted first, so that any Logging:LogLevel given in configuration still wins.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                // ASP.NET Core's authentication handler base logs each challenge (a 401) at Information, under the
                // category of our handler.
                [$"Logging:LogLevel:{typeof(CredentialSchemeHandler).FullName}"] = "Warning",
            },
        });
        if (options.JsonLogs)
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true; // the scopes carry TraceId and SpanId (ActivityTrackingOptions) and RequestId
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.IncludeScopes = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            });
        }
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } service ? service : "rescind"))
            .WithMetrics(m =>
            {
                m.AddMeter(RescindMetrics.MeterName).AddAspNetCoreInstrumentation();
                // Meters of the same name made by another host's factory in this process (the tests run many hosts)
                // are that host's numbers, not this one's.
                ((IDeferredMeterProviderBuilder)m).Configure((sp, b) =>
                {
                    var mine = sp.GetRequiredService<IMeterFactory>();
                    b.AddView(i => i.Meter.Scope is IMeterFactory other && !ReferenceEquals(other, mine) ? MetricStreamConfiguration.Drop : null);
                });
                if (options.MetricsPort is { } port)
                {
                    m.AddPrometheusHttpListener(o =>
                    {
                        o.Host = options.MetricsHost;
                        o.Port = port;
                    });
                }
                else
                {
                    // Every scrape reads the numbers of now: a scraper asks every few seconds, not in storms.
                    m.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                }
                if (options.Otlp)
                {
                    m.AddOtlpExporter();
                }
            });
        if (options.Traces || options.Otlp)
        {
            otel.WithTracing(t =>
            {
                t.AddSource(RescindTraces.Name)
                    .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments(MetricsPath))
                    .AddNpgsql();
                if (options.Otlp)
                {
                    t.AddOtlpExporter();
                }
            });
        }
        return options;
    }

    /// <summary>The edge middleware (right after the request id, so that its line carries it) and the metrics route.</summary>
    public static void UseObservability(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<ObservabilityOptions>();
        var metrics = app.Services.GetRequiredService<RescindMetrics>();
        _ = app.Services.GetRequiredService<WebhookBacklog>(); // registers the backlog gauges
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Rescind.Requests");
        app.Use(async (http, next) =>
        {
            var route = Routes.Of(http.GetEndpoint());
            if (route is null && !options.LogRequests)
            {
                await next(http);
                return;
            }
            var operation = route?.OperationOf(http);
            var request = new RequestTelemetry { Operation = operation, RouteValues = http.Request.RouteValues };
            RequestTelemetry.Current = request;
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(http);
            }
            finally
            {
                var elapsed = Stopwatch.GetElapsedTime(started);
                var outcome = request.Outcome ?? OutcomeNames.StatusClass(http.Response.StatusCode);
                if (route is not null)
                {
                    metrics.Requests.Add(1, new("api", route.Api), new("operation", operation), new("outcome", outcome));
                    metrics.Duration.Record(elapsed.TotalSeconds, new("api", route.Api), new("operation", operation));
                    if (Activity.Current is { IsAllDataRequested: true } span)
                    {
                        span.SetTag(RescindTraces.Api, route.Api);
                        span.SetTag(RescindTraces.Operation, operation);
                        span.SetTag(RescindTraces.Outcome, outcome);
                    }
                }
                if (options.LogRequests)
                {
                    log.LogInformation("{Method} {Path} {Status} {Api} {Operation} {Outcome} {ElapsedMs:0.0} ms",
                        http.Request.Method, http.Request.Path.Value, http.Response.StatusCode, route?.Api, operation, outcome, elapsed.TotalMilliseconds);
                }
            }
        });
    }

    /// <summary><c>/metrics</c> behind the operator credential, unless it is served on a port of its own.</summary>
    public static void MapMetrics(this WebApplication app)
    {
        if (app.Services.GetRequiredService<ObservabilityOptions>().MetricsPort is null)
        {
            app.MapPrometheusScrapingEndpoint(MetricsPath).RequireCaller(Operator.OperatorApi.Credentials).ExcludeFromDescription();
        }
    }

    /// <summary>A documented route's api (its OpenAPI document) and operation (method and template), computed
    /// once per endpoint; a parameter that stands for the vendor's literals (<see cref="Coverage.ServedValues"/>,
    /// GoCardless's actions) names each literal's own operation, as the coverage tables do.</summary>
    private sealed record Routes(string Api, string Operation, string? Parameter, IReadOnlyDictionary<string, string>? ByValue)
    {
        private static readonly ConcurrentDictionary<Endpoint, Routes?> Known = new();

        public static Routes? Of(Endpoint? endpoint) => endpoint is null ? null : Known.GetOrAdd(endpoint, Describe);

        public string OperationOf(HttpContext http) =>
            ByValue is not null && http.Request.RouteValues[Parameter!] is string value && ByValue.TryGetValue(value, out var named) ? named : Operation;

        private static Routes? Describe(Endpoint e)
        {
            if (DocumentedRoute.Of(e) is not { } r)
            {
                return null;
            }
            var method = e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods is [var only] ? only + " " : "";
            var operation = method + r.Template;
            if (e.Metadata.GetMetadata<Coverage.ServedValues>() is not { } served)
            {
                return new Routes(r.Document, operation, null, null);
            }
            var byValue = served.Values.ToDictionary(v => v, v => operation.Replace("{" + served.Parameter + "}", v, StringComparison.Ordinal), StringComparer.Ordinal);
            return new Routes(r.Document, operation, served.Parameter, byValue);
        }
    }
}
