using System.Reflection;
using Dapper;
using FluentMigrator.Runner;
using Microsoft.Extensions.DependencyInjection;

namespace Rescind.Core.Storage;

public static class Migrator
{
    /// <summary>
    /// Brings the schema up to date. On PostgreSQL several nodes may start at once, so the run is serialised by an
    /// advisory lock; on SQLite the file lock does the same.
    /// </summary>
    public static Task MigrateAsync(Database db, IEnumerable<Assembly> migrationAssemblies, CancellationToken ct) =>
        RunAsync(db, migrationAssemblies, null, ct);

    /// <summary>Brings the schema up to <paramref name="version"/> and no further: how a database of an older release
    /// is made, e.g. to test that a later migration carries its data over.</summary>
    public static Task MigrateUpToAsync(Database db, IEnumerable<Assembly> migrationAssemblies, long version, CancellationToken ct) =>
        RunAsync(db, migrationAssemblies, version, ct);

    private static async Task RunAsync(Database db, IEnumerable<Assembly> migrationAssemblies, long? version, CancellationToken ct)
    {
        var assemblies = migrationAssemblies.Append(typeof(Migrator).Assembly).Distinct().ToArray();
        await using var lockConnection = await db.OpenAsync(ct);
        if (db.Kind == DatabaseKind.Sqlite)
        {
            await lockConnection.ExecuteAsync("PRAGMA journal_mode=WAL;");
        }
        try
        {
            if (db.Kind == DatabaseKind.Postgres)
            {
                // Another node's migration may take longer than the pool's lock timeout: wait as long as it runs.
                await lockConnection.ExecuteAsync("SET lock_timeout = 0; SELECT pg_advisory_lock(72001)");
            }
            using var services = new ServiceCollection()
                .AddFluentMigratorCore()
                .ConfigureRunner(rb =>
                {
                    if (db.Kind == DatabaseKind.Postgres)
                    {
                        rb.AddPostgres();
                    }
                    else
                    {
                        rb.AddSQLite();
                    }
                    rb.WithGlobalConnectionString(db.ConnectionString).ScanIn(assemblies).For.Migrations();
                })
                .BuildServiceProvider(validateScopes: false);
            using var scope = services.CreateScope();
            var runner = scope.ServiceProvider.GetRequiredService<IMigrationRunner>();
            if (version is { } v)
            {
                runner.MigrateUp(v);
            }
            else
            {
                runner.MigrateUp();
            }
        }
        finally
        {
            if (db.Kind == DatabaseKind.Postgres)
            {
                // Back to the pool's lock timeout: pooled connections are not reset on close.
                await lockConnection.ExecuteAsync("SELECT pg_advisory_unlock(72001); RESET lock_timeout");
            }
        }
    }
}
