namespace ARouter.Dialects;

/// <summary><c>data:&lt;media type&gt;;base64,&lt;data&gt;</c>, the form images and PDFs take in the canonical model.</summary>
public static class DataUri
{
    public static bool TryParse(string uri, out string mediaType, out string base64)
    {
        mediaType = base64 = "";
        if (!uri.StartsWith("data:", StringComparison.Ordinal)) return false;
        var marker = uri.IndexOf(";base64,", StringComparison.Ordinal);
        if (marker < 0) return false;
        mediaType = uri[5..marker];
        base64 = uri[(marker + ";base64,".Length)..];
        return true;
    }
}
