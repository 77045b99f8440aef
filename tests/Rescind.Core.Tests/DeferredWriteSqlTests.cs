using Rescind.Core.Coordination;

namespace Rescind.Core.Tests;

/// <summary>The rewrite that lets PostgreSQL's deferred writes go out as a positional-parameter batch.</summary>
public sealed class DeferredWriteSqlTests
{
    [Fact]
    public void Named_parameters_become_positional_in_order_of_first_use()
    {
        var p = PreCommitBatch.ToPositional("INSERT INTO t (a, b, c) VALUES (@Alpha, @Beta, @Alpha || @gamma)");

        Assert.Equal("INSERT INTO t (a, b, c) VALUES ($1, $2, $1 || $3)", p.Sql);
        Assert.Equal(["Alpha", "Beta", "gamma"], p.Names);
    }

    [Fact]
    public void A_repeated_name_differing_only_in_case_is_the_same_parameter()
    {
        // Dapper matched parameter names to properties ignoring case; the batch keeps that.
        var p = PreCommitBatch.ToPositional("UPDATE t SET a = @Key WHERE k = @key AND n = @Now");

        Assert.Equal("UPDATE t SET a = $1 WHERE k = $1 AND n = $2", p.Sql);
        Assert.Equal(["Key", "Now"], p.Names);
    }

    [Fact]
    public void Text_without_parameters_is_unchanged()
    {
        var p = PreCommitBatch.ToPositional("DELETE FROM t WHERE done");

        Assert.Equal("DELETE FROM t WHERE done", p.Sql);
        Assert.Empty(p.Names);
    }
}
