namespace ARouter.Dialects.Canonical;

/// <summary>
/// Anthropic and Gemini want strictly alternating turns; the canonical conversation may have several user
/// turns in a row (a tool result, then a question). Each run of messages with the same provider role goes as one turn.
/// </summary>
public static class TurnRuns
{
    public static IEnumerable<(string Role, List<ChatMessage> Messages)> Group(IEnumerable<ChatMessage> messages, Func<ChatMessage, string> roleOf)
    {
        (string Role, List<ChatMessage> Messages)? run = null;
        foreach (var message in messages)
        {
            var role = roleOf(message);
            if (run is { } current && current.Role == role)
            {
                current.Messages.Add(message);
                continue;
            }
            if (run is { } finished) yield return finished;
            run = (role, [message]);
        }
        if (run is { } last) yield return last;
    }
}
