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
    public void Ids_made_in_the_same_millisecond_still_differ_in_their_random_part()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => Ids.NewGenerationId()).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches("^gen-[0-9A-Za-z]{24}$", id));
        Assert.Matches("^txn_[0-9A-Za-z]{24}$", Ids.NewTransactionId());
    }
}
