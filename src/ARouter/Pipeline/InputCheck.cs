using ARouter.Catalog;
using ARouter.Dialects.Canonical;

namespace ARouter.Pipeline;

/// <summary>Refuses input the chosen model cannot take, before any credit is held or anything is sent.</summary>
public static class InputCheck
{
    public static GatewayError? Validate(ChatRequest request, ModelRecord model)
    {
        var can = model.Capabilities;
        if (request.HasImages && !can.Vision)
            return GatewayError.BadRequest($"'{model.Id}' does not accept images. Choose a vision model (GET /v1/models shows capabilities.vision).", "messages");
        if (request.HasFiles && !can.Pdf)
            return GatewayError.BadRequest($"'{model.Id}' does not accept PDF or file input. Choose a model with capabilities.pdf.", "messages");
        if (request.HasTools && !can.Tools)
            return GatewayError.BadRequest($"'{model.Id}' does not support tools (function calling).", "tools");
        return null;
    }
}
