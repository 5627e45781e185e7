using System.Runtime.InteropServices;
using PeTools.Torch.Profiling;

namespace PeTools.Torch.Tests.Profiling;

/// <summary>CUPTI record decoding and the per-step kernel summary pe-train bench --profile writes.</summary>
public class KernelProfileTests
{
    private static byte[] Record(int kind, ulong start, ulong end, int length, IntPtr name = default)
    {
        var bytes = new byte[length];
        MemoryMarshal.Write(bytes, kind);
        MemoryMarshal.Write(bytes.AsSpan(16), start);
        MemoryMarshal.Write(bytes.AsSpan(24), end);
        if (length >= 112) MemoryMarshal.Write(bytes.AsSpan(104), (long)name);
        return bytes;
    }

    [Fact]
    public void Decode_reads_a_kernel_record_its_name_start_and_end()
    {
        // Given a concurrent-kernel record (kind 10) whose name pointer points at a UTF-8 string
        var name = Marshal.StringToCoTaskMemUTF8("ampere_bf16_gemm");
        try
        {
            // When it is decoded
            var a = CuptiActivity.Decode(Record(10, 1_000, 4_500, 160, name));

            // Then it is that kernel over 3.5 microseconds
            Assert.Equal(new GpuActivity("ampere_bf16_gemm", 1_000, 4_500), a);
            Assert.Equal(3.5, a!.Value.Microseconds);
        }
        finally { Marshal.FreeCoTaskMem(name); }
    }

    [Theory]
    [InlineData(2, "Memset")]
    [InlineData(1, "Memcpy")]
    public void Decode_names_memsets_and_memcpys_by_their_kind(int kind, string expected)
    {
        // Given a 32-byte memset or memcpy record, When decoded, Then it carries its kind's name
        Assert.Equal(new GpuActivity(expected, 10, 20), CuptiActivity.Decode(Record(kind, 10, 20, 48)));
    }

    [Theory]
    [InlineData(10, 64)] // a kernel record cut before its name pointer
    [InlineData(2, 16)] // shorter than any record's timestamps
    [InlineData(5, 200)] // a kind not recorded here (runtime API)
    public void Decode_skips_short_records_and_other_kinds(int kind, int length)
    {
        Assert.Null(CuptiActivity.Decode(Record(kind, 10, 20, 200)[..length]));
    }

    [Fact]
    public void Summarise_groups_by_name_per_step_with_idle_time_counting_overlaps_once()
    {
        // Given two steps: gemm twice per step, relu once, one relu overlapping a gemm (concurrent streams), and a gap
        var acts = new List<GpuActivity>
        {
            new("gemm", 0, 4_000), new("relu", 3_000, 5_000), // overlap: 0..5 us covered
            new("gemm", 7_000, 11_000), // gap 5..7 us
            new("gemm", 11_000, 15_000), new("relu", 16_000, 17_000), // gap 15..16 us
            new("gemm", 17_000, 21_000),
        };

        // When summarised over 2 steps, keeping the top 5 kernels
        var lines = KernelProfile.Summarise(acts, steps: 2, top: 5);

        // Then all kernels: 3 launches and 9.5 us a step; idle 3 us over the span (1.5 a step); gemm first (8 us,
        // 2 calls a step), relu after (1.5 us)
        Assert.Equal(new KernelProfileLine(KernelProfile.AllKernels, 3, 9.5, 1), lines[0]);
        Assert.Equal(KernelProfile.Idle, lines[1].Kernel);
        Assert.Equal(1.5, lines[1].MicrosecondsPerStep, 9);
        Assert.Equal(new KernelProfileLine("gemm", 2, 8, 8 / 9.5), lines[2]);
        Assert.Equal(new KernelProfileLine("relu", 1, 1.5, 1.5 / 9.5), lines[3]);
        Assert.Equal(4, lines.Count);
    }

    [Fact]
    public void Summarise_keeps_the_top_kernels_and_truncates_long_names()
    {
        // Given ten kernels of growing duration, one with a 300-character name
        var longName = new string('k', 300);
        var acts = Enumerable.Range(1, 10).Select(i => new GpuActivity(i == 10 ? longName : $"k{i}", (ulong)i * 100_000, (ulong)(i * 100_000 + i * 1000))).ToList();

        // When the top 3 are kept
        var lines = KernelProfile.Summarise(acts, steps: 1, top: 3);

        // Then the summary lines and the three longest remain, the longest named by its first 160 characters
        Assert.Equal(5, lines.Count);
        Assert.Equal(new string('k', KernelProfile.NameLength), lines[2].Kernel);
        Assert.Equal(["k9", "k8"], lines.Skip(3).Select(l => l.Kernel));
    }

    [Fact]
    public void Summarise_of_nothing_is_one_line_of_zeros()
    {
        var lines = KernelProfile.Summarise([], steps: 3, top: 10);
        Assert.Equal([new KernelProfileLine(KernelProfile.AllKernels, 0, 0, 1)], lines);
    }
}
