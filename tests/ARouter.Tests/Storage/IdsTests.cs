using ARouter.Storage;

namespace ARouter.Tests.Storage;

public sealed class IdsTests
{
    [Fact]
    public async Task Generation_and_transaction_ids_made_later_sort_after_earlier_ones()
    {
        var earlier = (Ids.NewGenerationId(), Ids.NewTransactionId());
        await Task.Delay(5);
        var later = (Ids.NewGenerationId(), Ids.NewTransactionId());

        Assert.True(string.CompareOrdinal(earlier.Item1, later.Item1) < 0, $"{earlier.Item1} !< {later.Item1}");
        Assert.True(string.CompareOrdinal(earlier.Item2, later.Item2) < 0, $"{earlier.Item2} !< {later.Item2}");
    }

    [Fact]
    public void Ids_made_in_the_same_millisecond_still_differ_and_sort_in_the_order_they_were_made()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => Ids.NewGenerationId()).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
        Assert.True(ids.GroupBy(id => id[..12]).Max(sameMillisecond => sameMillisecond.Count()) > 1, "no two ids in one millisecond");
        Assert.All(ids, id => Assert.Matches("^gen-[0-9A-Za-z]{24}$", id));
        Assert.Matches("^txn_[0-9A-Za-z]{24}$", Ids.NewTransactionId());
    }

    [Fact]
    public async Task Ids_made_at_once_on_many_threads_are_all_different_and_each_thread_sees_its_own_in_order()
    {
        var perThread = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Enumerable.Range(0, 5_000).Select(_ => Ids.NewTransactionId()).ToList())));

        Assert.Equal(40_000, perThread.SelectMany(ids => ids).Distinct().Count());
        Assert.All(perThread, ids => Assert.Equal(ids, ids.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void Random_symbols_cover_the_whole_alphabet_evenly()
    {
        var counts = new Dictionary<char, int>();
        const int ids = 20_000;
        for (var i = 0; i < ids; i++)
            foreach (var c in Ids.Random(16)) counts[c] = counts.GetValueOrDefault(c) + 1;

        Assert.Equal(62, counts.Count);
        Assert.All(counts.Keys, c => Assert.True(char.IsAsciiLetterOrDigit(c), $"'{c}'"));
        // 320,000 draws: ~5,161 per symbol with a standard deviation of ~71; a bias of one byte value in 256 (e.g. a
        // plain modulo) would put the first symbols ~1,250 above the rest.
        var expected = ids * 16 / 62.0;
        Assert.All(counts, kv => Assert.InRange(kv.Value, expected - 500, expected + 500));
    }
}
