namespace ARouter.Dashboard.Pages;

public sealed class DeniedModel : DashboardPage
{
    public void OnGet() { }
}
