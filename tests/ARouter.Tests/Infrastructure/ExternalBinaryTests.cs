namespace ARouter.Tests.Infrastructure;

public sealed class ExternalBinaryTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "arouter-tests", "bin-" + Guid.NewGuid().ToString("n"));

    [Fact]
    public void A_globbed_directory_finds_the_highest_match_and_nothing_when_none_exists()
    {
        foreach (var version in new[] { "14", "16", "15" })
        {
            Directory.CreateDirectory(Path.Combine(_root, version, "bin"));
            File.WriteAllText(Path.Combine(_root, version, "bin", "tool"), "");
        }
        Directory.CreateDirectory(Path.Combine(_root, "17", "bin"));

        Assert.Equal(Path.Combine(_root, "16", "bin", "tool"), ExternalBinary.Find("no-such-tool-on-path", Path.Combine(_root, "*", "bin", "tool")));
        Assert.Null(ExternalBinary.Find("no-such-tool-on-path", Path.Combine(_root, "*", "lib", "tool"), Path.Combine(_root, "nowhere", "*", "tool")));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
