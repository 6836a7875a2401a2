using ARouter.Dialects.Canonical;

namespace ARouter.Dialects;

/// <summary>Thrown by decoders for input the caller got wrong; always becomes a 400 with this message.</summary>
public sealed class DecodeException(string message, string? param = null) : Exception(message)
{
    public string? Param { get; } = param;

    public GatewayError ToError() => GatewayError.BadRequest(Message, Param);
}
