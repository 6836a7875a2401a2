using System.Diagnostics;

namespace ARouter.Bench.Tests;

public class ProcStatsTests
{
    [Fact]
    public void Cpu_ticks_are_utime_plus_stime_after_a_command_name_with_spaces_and_parentheses()
    {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime ...
        const string stat = "4242 (dotnet (x) y) S 1 4242 4242 0 -1 4194560 9000 0 12 0 1234 567 8 9 20 0 23 0 100 0 0";

        Assert.Equal(1234 + 567, ProcStats.CpuTicks(stat));
    }

    [Fact]
    public void This_process_cpu_time_grows_while_it_computes()
    {
        var before = ProcStats.CpuTime(Environment.ProcessId);
        var spin = Stopwatch.StartNew();
        var x = 1UL;
        while (spin.ElapsedMilliseconds < 150) x = x * 6364136223846793005 + 1;
        GC.KeepAlive(x);

        Assert.True(ProcStats.CpuTime(Environment.ProcessId) - before >= TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void Memory_reads_resident_and_peak_in_mebibytes()
    {
        var (rss, peak) = ProcStats.Memory(Environment.ProcessId);

        Assert.InRange(rss, 10, 4096);
        Assert.True(peak >= rss);
    }

    [Fact]
    public void A_started_child_is_among_the_children()
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", "5") { UseShellExecute = false })!;
        try
        {
            Assert.Contains(child.Id, ProcStats.Children(Environment.ProcessId));
        }
        finally
        {
            child.Kill();
        }
    }
}
