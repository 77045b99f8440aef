using Rescind.Core.Webhooks;

namespace Rescind.Core.Tests;

public sealed class BackoffTests
{
    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 10)]
    [InlineData(3, 20)]
    [InlineData(10, 2560)]
    [InlineData(20, 21600)]
    [InlineData(200, 21600)]
    public void Retries_double_from_five_seconds_up_to_six_hours_within_twenty_percent_jitter(int attempts, double seconds)
    {
        Assert.Equal(seconds * 0.8, Backoff.After(attempts, 0).TotalSeconds, 6);
        Assert.Equal(seconds * 1.2, Backoff.After(attempts, 1).TotalSeconds, 6);
        Assert.Equal(seconds, Backoff.After(attempts, 0.5).TotalSeconds, 6);
    }

    [Fact]
    public void The_default_three_day_horizon_allows_about_twenty_attempts()
    {
        var elapsed = TimeSpan.Zero;
        var attempts = 0;
        while (elapsed < TimeSpan.FromDays(3))
        {
            attempts++;
            elapsed += Backoff.After(attempts, 0.5);
        }
        Assert.InRange(attempts, 15, 25);
    }
}
