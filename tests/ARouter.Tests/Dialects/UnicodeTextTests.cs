using System.Text;
using ARouter.Dialects;

namespace ARouter.Tests.Dialects;

public class UnicodeTextTests
{
    [Theory]
    [InlineData("""{"a":"plain é 中 😀"}""")]
    [InlineData("""{"a":"\ud83d\ude00 \uD83D\uDE00"}""")]
    [InlineData("""{"a":"\\ud800 is text, not an escape"}""")]
    [InlineData("""{"\u0061":"\u00e9\n"}""")]
    public void Valid_text_is_valid(string json) => Assert.True(UnicodeText.IsValid(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("""{"a":"\ud800"}""")]
    [InlineData("""{"a":"\udc00\ud800"}""")]
    [InlineData("""{"a":"ok","b":"\uD83D x"}""")]
    [InlineData("""{"\udfff":1}""")]
    public void A_lone_surrogate_escape_is_not(string json) => Assert.False(UnicodeText.IsValid(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Broken_utf8_is_not() => Assert.False(UnicodeText.IsValid([.. "{\"a\":\""u8, 0xC3, 0x28, .. "\"}"u8]));
}
