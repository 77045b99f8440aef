using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Rescind.Server.Hosting;

namespace Rescind.Server.Http;

/// <summary>
/// Counts the long-lived streams each account holds open on this node, so that no tenant can tie up the server with
/// streams left open: past <see cref="RescindOptions.MaxStreamsPerAccount"/> a new one is refused.
/// </summary>
public sealed class StreamSlots(IOptions<RescindOptions> options)
{
    private readonly ConcurrentDictionary<string, int> open = new(StringComparer.Ordinal);

    public int Limit => options.Value.MaxStreamsPerAccount;

    /// <summary>A slot for the account, released on dispose; null when the account already holds its limit.</summary>
    public IDisposable? TryEnter(string accountId)
    {
        while (true)
        {
            var n = open.GetOrAdd(accountId, 0);
            if (n >= Limit)
            {
                return null;
            }
            if (open.TryUpdate(accountId, n + 1, n))
            {
                return new Slot(this, accountId);
            }
        }
    }

    public int OpenFor(string accountId) => open.GetValueOrDefault(accountId);

    private void Leave(string accountId)
    {
        while (true)
        {
            var n = open.GetValueOrDefault(accountId);
            if (n <= 1 ? open.TryRemove(new KeyValuePair<string, int>(accountId, n)) : open.TryUpdate(accountId, n - 1, n))
            {
                return;
            }
        }
    }

    private sealed class Slot(StreamSlots owner, string accountId) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                owner.Leave(accountId);
            }
        }
    }
}
