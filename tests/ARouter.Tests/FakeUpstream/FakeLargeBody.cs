using System.Text;
using Microsoft.AspNetCore.Http;

namespace ARouter.Tests.FakeUpstream;

/// <summary>
/// A chat completion whose reply is <see cref="FakeScript.LargeBodyBytes"/> long, written piece by piece from
/// one reused buffer (so the fake itself stays small in memory) with the usage after the choices, as OpenAI does.
/// </summary>
public static class FakeLargeBody
{
    private const int Piece = 64 * 1024;

    public static async Task WriteAsync(HttpContext context, FakeScript script, string model, FakeProviders fakes)
    {
        var head = Encoding.UTF8.GetBytes("{\"id\":\"chatcmpl-large\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"" + model
            + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"");
        var tail = Encoding.UTF8.GetBytes("\"},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":" + script.PromptTokens
            + ",\"completion_tokens\":" + script.CompletionTokens + ",\"total_tokens\":" + (script.PromptTokens + script.CompletionTokens) + "}}");
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = head.Length + script.LargeBodyBytes + tail.Length;
        var filler = new byte[Piece];
        Array.Fill(filler, (byte)'x');
        await context.Response.Body.WriteAsync(head, context.RequestAborted);
        for (var left = script.LargeBodyBytes; left > 0; left -= Piece)
            await context.Response.Body.WriteAsync(filler.AsMemory(0, (int)Math.Min(Piece, left)), context.RequestAborted);
        await context.Response.Body.WriteAsync(tail, context.RequestAborted);
        fakes.LargeBodyFinished();
    }
}
