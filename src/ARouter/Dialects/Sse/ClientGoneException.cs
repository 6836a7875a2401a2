namespace ARouter.Dialects.Sse;

/// <summary>
/// The caller's connection is gone: a flush found the response pipe completed. Kestrel may signal
/// <c>RequestAborted</c> a moment later, so this is the proof on its own — the request is a disconnect
/// (charged for what was generated, status 499), never an internal error.
/// </summary>
public sealed class ClientGoneException() : OperationCanceledException("The client stopped reading the stream.");
